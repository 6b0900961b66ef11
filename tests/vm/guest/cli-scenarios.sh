# The issue's six scenarios through the real ndbackupctl (sourced by scenarios.sh): catalog and
# repository on the guest's tmpfs, LVM settings from a config file.
CAT=$S/catalog.sqlite
REPO=$S/repository
CONF=$S/ndbackup.conf
printf 'lvm_volume_groups=%s\n' $VG > $CONF
ctl() { log "+ ndbackupctl $*" >&2; "$NDB_CTL" --config $CONF --catalog $CAT --repository-root $REPO --vg $VG --quiet "$@"; }
# wait_for_snapshot SECONDS: until an ndbackup LV exists (the backup reached its transfer)
wait_for_snapshot() {
    end=$(( $(date +%s) + $1 ))
    while ! ourlvs > /dev/null && [ "$(date +%s)" -lt $end ]; do sleep 0.2; done
}
# backup_create ARGS: prints the new backup's id
backup_create() { ctl --json backup create "$@" > $S/bc.json || return $?; jq -r .id $S/bc.json; }
# backup_field ID FIELD: one field of `backup show --json`
backup_field() { ctl --json backup show "$1" | jq -r ".$2"; }
volume_status() { ctl --json volumes | jq -r ".[] | select(.id == \"lvm:$VG/$1\") | .status"; }
# new_backup_id VOLUME: the newest backup of a volume (after a killed or failed create)
newest_backup() { ctl --json backup list --volume "lvm:$VG/$1" | jq -r '.[0].id // empty'; }

c1_available() {
    l lvcreate -q -y -L 32M -n c1 $VG
    fill_random /dev/$VG/c1 32
    [ "$(volume_status c1)" = available ] || why "c1 is not listed as available"
    id=$(backup_create --volume lvm:$VG/c1 --name c1) || why "backup failed"
    [ "$(backup_field $id status)" = available ] || why "backup status $(backup_field $id status)"
    ctl backup restore $id --new-volume c1-restored --driver lvm:$VG || why "restore failed"
    cmp /dev/$VG/c1 /dev/$VG/c1-restored || why "restored LV differs"
    [ "$(volume_status c1)" = available ] || why "c1 status not back to available"
    no_snapshot_left || why "temporary left behind"
    note "backup $id ($(backup_field $id data_path)), restored into a new LV byte-equal"
}

c2_in_use_ext4() {
    l lvcreate -q -y -L 64M -n c2 $VG
    mkfs.ext4 -F -q /dev/$VG/c2
    mkdir -p $S/mc2 && mount /dev/$VG/c2 $S/mc2
    rm -f $S/wc2.log
    "$NDB_WRITER" --files $S/mc2 --log $S/wc2.log & wpid=$!
    echo $wpid > $S/wc2.pid
    sleep 3
    [ "$(volume_status c2)" = in-use ] || why "c2 (mounted) is not in-use"
    pos=$(stat -c %s $S/wc2.log)
    id=$(backup_create --volume lvm:$VG/c2 --force) || why "backup with --force failed"
    [ "$(backup_field $id status)" = available ] || why "backup status $(backup_field $id status)"
    [ "$(backup_field $id data_path)" = snapshot ] || why "data path $(backup_field $id data_path), expected snapshot"
    [ "$(volume_status c2)" = in-use ] || why "c2 status not back to in-use"
    no_snapshot_left || why "temporary left behind"
    ctl backup restore $id --new-volume c2-restored --driver lvm:$VG || why "restore failed"
    e2fsck -fn /dev/$VG/c2-restored || why "fsck -n of the restored filesystem is not clean"
    mkdir -p $S/rc2 && mount -o ro /dev/$VG/c2-restored $S/rc2 || why "restored filesystem does not mount"
    rc=0
    "$NDB_WRITER_CHECK" files $S/rc2 $S/wc2.log $pos > $S/c2.check || rc=$?
    cat $S/c2.check
    umount $S/rc2
    [ $rc -eq 0 ] || why "$(cat $S/c2.check)"
    note "fsck clean; $(cat $S/c2.check)"
}

# Runs while c2 is still mounted and written to.
c3_no_force() {
    [ "$(volume_status c2)" = in-use ] || why "c2 is not in-use"
    before=$(ctl --json backup list --volume lvm:$VG/c2 | jq length)
    rc=0
    "$NDB_CTL" --config $CONF --catalog $CAT --repository-root $REPO --vg $VG \
        backup create --volume lvm:$VG/c2 > $S/c3.out 2> $S/c3.err || rc=$?
    cat $S/c3.out $S/c3.err
    [ $rc -eq 3 ] || why "exit code $rc, expected 3"
    # the exact sentence, as a line of its own or after the program name ("ndbackupctl: ...")
    grep -qE '^(ndbackupctl: )?Backing up an in-use volume must use the force flag\.$' $S/c3.err \
        || why "message not found on stderr: $(cat $S/c3.err)"
    no_snapshot_left || why "a snapshot appeared"
    [ "$(ctl --json backup list --volume lvm:$VG/c2 | jq length)" = "$before" ] || why "a backup record was created"
    [ "$(volume_status c2)" = in-use ] || why "c2 status changed"
    note "refused with exit 3 and the exact message; no snapshot LV, no backup record"
}

c4_thin() {
    l lvcreate -q -y -L 128M -T $VG/cpool
    l lvcreate -q -y -V 48M -T $VG/cpool -n c4
    fill_random /dev/$VG/c4 48
    sleep 600 < /dev/$VG/c4 & hpid=$!
    sleep 1
    [ "$(volume_status c4)" = in-use ] || why "c4 is not in-use"
    id=$(backup_create --volume lvm:$VG/c4 --force) || why "backup failed"
    [ "$(backup_field $id status)" = available ] || why "backup status $(backup_field $id status)"
    [ "$(backup_field $id data_path)" = snapshot ] || why "data path $(backup_field $id data_path), expected snapshot"
    ctl backup restore $id --new-volume c4-restored --driver lvm:$VG || why "restore failed"
    cmp /dev/$VG/c4 /dev/$VG/c4-restored || why "restored LV differs from the thin origin"
    kill $hpid
    no_snapshot_left || why "temporary left behind"
    note "in-use thin LV backed up through a thin snapshot, restored byte-equal"
}

c5_kill() {
    l lvcreate -q -y -L 64M -n c5 $VG
    fill_random /dev/$VG/c5 64
    sleep 600 < /dev/$VG/c5 & hpid=$!
    "$NDB_CTL" --config $CONF --catalog $CAT --repository-root $REPO --vg $VG --quiet \
        backup create --volume lvm:$VG/c5 --force --bandwidth 2 > $S/c5.out 2>&1 & bpid=$!
    wait_for_snapshot 90
    sleep 3
    kill -9 $bpid; wait $bpid 2>/dev/null || true
    cat $S/c5.out
    ourlvs || why "no snapshot existed when the backup was killed"
    id=$(newest_backup c5)
    [ -n "$id" ] || why "no backup record"
    log "after SIGKILL: backup $(backup_field $id status)"
    ctl cleanup || why "cleanup failed"
    no_snapshot_left || why "cleanup left the snapshot"
    [ "$(backup_field $id status)" = error ] || why "backup status $(backup_field $id status), expected error"
    [ "$(volume_status c5)" = in-use ] || why "c5 status $(volume_status c5), expected in-use"
    kill $hpid
    note "killed mid-transfer; cleanup removed the snapshot; backup error ($(backup_field $id fail_reason)); volume in-use"
}

c6_overflow() {
    printf 'lvm_volume_groups=%s\nlvm_snapshot_percent=5\n' $VG > $S/small.conf
    l lvcreate -q -y -L 64M -n c6 $VG
    fill_random /dev/$VG/c6 64
    sleep 600 < /dev/$VG/c6 & hpid=$!
    rc=0
    "$NDB_CTL" --config $S/small.conf --catalog $CAT --repository-root $REPO --vg $VG --quiet \
        backup create --volume lvm:$VG/c6 --force --bandwidth 2 > $S/c6.out 2>&1 & bpid=$!
    wait_for_snapshot 90
    l lvs -o lv_name,lv_size,snap_percent $VG
    dd if=/dev/urandom of=/dev/$VG/c6 bs=1M count=16 oflag=direct status=none
    wait $bpid || rc=$?
    cat $S/c6.out
    [ $rc -eq 6 ] || why "backup exit code $rc, expected 6 (storage: the snapshot overflowed)"
    grep -q "copy-on-write area full" $S/c6.out || why "failure does not name the overflow"
    id=$(newest_backup c6)
    [ "$(backup_field $id status)" = error ] || why "backup status $(backup_field $id status), expected error"
    backup_field $id fail_reason | grep -q "copy-on-write area full" || why "fail_reason does not name the overflow"
    no_snapshot_left || why "the overflowed snapshot was not removed"
    [ "$(volume_status c6)" = in-use ] || why "c6 status not back to in-use"
    kill $hpid
    note "$(backup_field $id fail_reason)"
}

# Killed while lvm has the origin suspended (issue #9, item 1): the guard process resumes it when
# the engine dies, without waiting for `cleanup`. The suspended window is made long and
# observable: the VG's PV is a dm device whose first MiB (lvm's metadata area) delays every write
# by SLOW_MS, and lvcreate commits the snapshot's metadata while the origin is suspended; once the
# origin is seen suspended, lvcreate is stopped (a stuck lvm) and the ctl SIGKILLed.
SVG=ndbsvg
SLOW_MS=3000
dm_state() { dmsetup info "$1" 2>/dev/null | sed -n 's/^State: *//p'; }
# slow_table WRITE_DELAY_MS: delay target over the metadata area (reads and flushes undelayed),
# linear over the rest. The dm device starts 1 MiB into the loop device, so that lvm does not see
# the PV label twice (on the loop device and on the dm device).
slow_table() {
    printf '0 2048 delay %s 2048 0 %s 2048 %s %s 2048 0\n2048 %s linear %s 4096\n' \
        "$SLOWLOOP" "$SLOWLOOP" "$1" "$SLOWLOOP" $(( $(blockdev --getsz "$SLOWLOOP") - 4096 )) "$SLOWLOOP"
}
# c7 and c8: the ctl is SIGKILLed while lvcreate (stopped, as if stuck) has the origin suspended.
# c7: its guard process resumes the origin within 5 s, without cleanup.
# c8: the guard and lvcreate die too; `cleanup` resumes the origin with the table it had live (not
#     the one the dead lvcreate loaded), so the workload's writes complete without I/O errors and
#     the data written before is intact.
kill_suspended() {
    mode=$1; lv=$2
    modprobe dm-delay || why "module dm-delay not available"
    truncate -s 256M $S/slow.img
    SLOWLOOP=$(losetup -f --show $S/slow.img)
    slow_table 0 | dmsetup create ndbslow || why "cannot create the delay device"
    l pvcreate -q /dev/mapper/ndbslow && l vgcreate -q $SVG /dev/mapper/ndbslow || why "cannot create VG $SVG"
    l lvcreate -q -y -L 64M -n $lv $SVG
    mkfs.ext4 -F -q /dev/$SVG/$lv
    mkdir -p $S/m$lv && mount /dev/$SVG/$lv $S/m$lv
    fill_random $S/m$lv/data 8
    sync; before=$(md5sum < $S/m$lv/data)
    printf 'lvm_volume_groups=%s\nfreeze_filesystems=true\nfreeze_limit_ms=600000\n' $SVG > $S/slow.conf
    slow_table $SLOW_MS | dmsetup reload ndbslow && dmsetup resume ndbslow || why "cannot slow down the PV"
    "$NDB_CTL" --config $S/slow.conf --catalog $CAT --repository-root $REPO --vg $SVG --quiet \
        backup create --volume lvm:$SVG/$lv --force > $S/$lv.out 2>&1 & bpid=$!
    end=$(( $(date +%s) + 120 ))
    while [ "$(dm_state $SVG-$lv)" != SUSPENDED ] && [ "$(date +%s)" -lt $end ] && kill -0 $bpid 2>/dev/null; do sleep 0.1; done
    lvpid=$(pgrep -P $bpid -x lvm || true)
    [ -n "$lvpid" ] && kill -STOP $lvpid
    guardpid=$(pgrep -P $bpid -x ndb-dm-guard || true)
    state=$(dm_state $SVG-$lv)
    if [ "$mode" = all ]; then
        [ -n "$guardpid" ] || why "no ndb-dm-guard process under the ctl while the origin was $state"
        kill -9 $guardpid
    fi
    kill -9 $bpid 2>/dev/null || true; wait $bpid 2>/dev/null || true
    cat $S/$lv.out
    log "origin $state, lvm pid ${lvpid:-none} stopped, guard ${guardpid:-none}, ctl killed ($mode)"
    problem=""
    if [ -z "$lvpid" ] || [ "$state" != SUSPENDED ]; then
        problem="the origin was not seen suspended with lvcreate running (state '$state')"
    elif [ "$mode" = guard ]; then
        # Within a few seconds, without cleanup: resumed, and a write+fsync into the mount completes.
        ( dd if=/dev/urandom of=$S/m$lv/after-kill bs=4k count=16 conv=fsync status=none && touch $S/$lv.written ) &
        end=$(( $(date +%s) + 5 ))
        while { [ "$(dm_state $SVG-$lv)" != ACTIVE ] || [ ! -e $S/$lv.written ]; } && [ "$(date +%s)" -lt $end ]; do sleep 0.1; done
        state=$(dm_state $SVG-$lv)
        log "5 s after the kill: origin $state, write+fsync $([ -e $S/$lv.written ] && echo done || echo blocked)"
        [ "$state" = ACTIVE ] || problem="origin still $state 5 s after the ctl was killed"
        [ -n "$problem" ] || [ -e $S/$lv.written ] || problem="write+fsync into the mount still blocked 5 s after the kill"
    fi
    if [ "$mode" = all ]; then
        # Nobody is left to resume it: lvcreate dies as well, with its new table loaded.
        kill -9 $lvpid 2>/dev/null; sleep 0.5
        state=$(dm_state $SVG-$lv)
        [ -n "$problem" ] || [ "$state" = SUSPENDED ] || problem="origin $state after guard and lvcreate died (expected SUSPENDED)"
    else
        # Let the stuck lvcreate go on (it finishes the snapshot).
        [ -n "$lvpid" ] && kill -CONT $lvpid
        end=$(( $(date +%s) + 120 ))
        while [ -n "$lvpid" ] && kill -0 $lvpid 2>/dev/null && [ "$(date +%s)" -lt $end ]; do sleep 0.2; done
    fi
    wait
    slow_table 0 | dmsetup reload ndbslow && dmsetup resume ndbslow
    [ -z "$problem" ] || why "$problem"
    "$NDB_CTL" --config $S/slow.conf --catalog $CAT --repository-root $REPO --vg $SVG --quiet cleanup || why "cleanup failed"
    [ "$(dm_state $SVG-$lv)" = ACTIVE ] || why "origin $(dm_state $SVG-$lv) after cleanup"
    if [ "$mode" = all ]; then
        timeout 20 dd if=/dev/urandom of=$S/m$lv/after-cleanup bs=4k count=16 conv=fsync status=none \
            || why "write+fsync into the mount failed after cleanup resumed the origin"
        echo 3 > /proc/sys/vm/drop_caches
        [ "$(md5sum < $S/m$lv/data)" = "$before" ] || why "the data written before the backup changed"
    fi
    if l lvs --noheadings -o lv_name,lv_tags $SVG | grep ndbackup; then why "cleanup left the snapshot"; fi
    umount $S/m$lv
    l vgremove -q -f $SVG && dmsetup remove ndbslow && losetup -d $SLOWLOOP
    if [ "$mode" = all ]; then
        note "guard and lvcreate killed with the origin suspended: cleanup resumed it, write+fsync done, data intact"
    else
        note "origin resumed and write+fsync done within 5 s of the SIGKILL, lvcreate stuck; cleanup removed the snapshot"
    fi
}
c7_kill_suspended() { kill_suspended guard c7; }
c8_kill_all_suspended() { kill_suspended all c8; }

# c9: a source that fails reads with EIO part-way (issue #14, I/O faults): the VG's PV is a dm
# device whose table has an error target over the middle of the LV's data. A backup of the
# available LV (read directly) and one of the in-use LV (held open; read through a temporary
# snapshot) both fail naming the I/O error, with the snapshot removed and the status restored.
EVG=ndbevg
err_table() { # err_table ERROR_START_SECTOR ERROR_SECTORS (0 0: all linear)
    total=$(( $(blockdev --getsz "$ERRLOOP") - 2048 ))
    if [ "$2" -eq 0 ]; then printf '0 %s linear %s 2048\n' $total "$ERRLOOP"; return; fi
    printf '0 %s linear %s 2048\n%s %s error\n%s %s linear %s %s\n' "$1" "$ERRLOOP" "$1" "$2" \
        $(( $1 + $2 )) $(( total - $1 - $2 )) "$ERRLOOP" $(( 2048 + $1 + $2 ))
}
c9_dm_error() {
    truncate -s 128M $S/err.img
    ERRLOOP=$(losetup -f --show $S/err.img)
    err_table 0 0 | dmsetup create ndberr || why "cannot create the dm device"
    l pvcreate -q /dev/mapper/ndberr && l vgcreate -q $EVG /dev/mapper/ndberr || why "cannot create VG $EVG"
    l lvcreate -q -y -L 32M -n c9 $EVG
    fill_random /dev/$EVG/c9 32
    printf 'lvm_volume_groups=%s\n' $EVG > $S/err.conf
    ectl() { "$NDB_CTL" --config $S/err.conf --catalog $CAT --repository-root $REPO --vg $EVG --quiet "$@"; }
    # c9 is the first LV: its data starts at the PV's pe_start; 1 MiB of errors 16 MiB into it.
    pe=$(l pvs --noheadings --units s -o pe_start /dev/mapper/ndberr | tr -dc 0-9)
    err_table $(( pe + 32768 )) 2048 | dmsetup reload ndberr && dmsetup resume ndberr || why "cannot load the error table"
    for mode in available in-use; do
        extra=""
        if [ $mode = in-use ]; then exec 7< /dev/$EVG/c9; extra=--force; fi
        st=$(ectl --json volumes | jq -r ".[] | select(.id == \"lvm:$EVG/c9\") | .status")
        [ "$st" = $mode ] || why "c9 is $st, expected $mode"
        rc=0; ectl backup create --volume lvm:$EVG/c9 $extra > $S/c9.out 2>&1 || rc=$?
        cat $S/c9.out
        [ $rc -eq 6 ] || why "backup of the $mode LV over an error target: exit $rc, expected 6 (storage)"
        grep -q 'Input/output error' $S/c9.out || why "the error does not name the I/O error: $(cat $S/c9.out)"
        id=$(ectl --json backup list --volume lvm:$EVG/c9 | jq -r '.[0].id // empty')
        [ "$(ectl --json backup show $id | jq -r .status)" = error ] || why "the failed backup is not 'error'"
        st=$(ectl --json volumes | jq -r ".[] | select(.id == \"lvm:$EVG/c9\") | .status")
        [ "$st" = $mode ] || why "c9 is $st after the failed backup, expected $mode"
        if l lvs --noheadings -o lv_name,lv_tags $EVG | grep ndbackup; then why "the temporary snapshot was left"; fi
        [ $mode = in-use ] && exec 7<&-
        log "c9 $mode: failed cleanly"
    done
    [ -z "$(ectl --json backup list --volume lvm:$EVG/c9 | jq -r '.[] | select(.status == "available") | .id')" ] \
        || why "a backup of the failing LV is available"
    err_table 0 0 | dmsetup reload ndberr && dmsetup resume ndberr
    l vgremove -q -f $EVG && dmsetup remove ndberr && losetup -d $ERRLOOP
    note "EIO 16 MiB into the LV (dm error target under the PV): available and in-use backups failed naming the I/O error, no snapshot left, status restored, nothing available"
}

run_scenario 1-available c1_available
run_scenario 2-in-use-ext4 c2_in_use_ext4
run_scenario 3-no-force c3_no_force
[ -f $S/wc2.pid ] && kill "$(cat $S/wc2.pid)" 2>/dev/null
sleep 1; umount $S/mc2 2>/dev/null || true
run_scenario 4-thin c4_thin
run_scenario 5-kill-cleanup c5_kill
run_scenario 6-overflow c6_overflow
run_scenario 7-kill-suspended c7_kill_suspended
run_scenario 8-kill-all-suspended c8_kill_all_suspended
run_scenario 9-dm-error c9_dm_error
