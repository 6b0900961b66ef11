# Driver-level scenarios (sourced by scenarios.sh): lvmdriver_probe plays the engine's part
# (temp snapshot, read, watch copy-on-write, delete) so that LvmDriver is proven on its own.
# The refusal without force is an engine rule and is only tested through ndbackupctl.
W=$NDB_SOURCE_DIR/tests/vm/guest/writer.sh

s1_available() {
    l lvcreate -q -y -L 32M -n s1 $VG || why "lvcreate failed"
    fill_random /dev/$VG/s1 32
    probe list $VG | grep -q "^lvm:$VG/s1	available" || why "s1 not available"
    probe backup $VG s1 $S/s1.img || why "backup failed"
    probe restore $VG s1-restored $S/s1.img || why "restore failed"
    cmp /dev/$VG/s1 /dev/$VG/s1-restored || why "restored LV differs"
    no_snapshot_left || why "temporary left behind"
    rm -f $S/s1.img
    note "32 MiB LV backed up (read directly) and restored byte-equal"
}

s2_in_use_ext4() {
    l lvcreate -q -y -L 64M -n s2 $VG || why "lvcreate failed"
    mkfs.ext4 -F -q /dev/$VG/s2 || why "mkfs failed"
    mkdir -p $S/m2 && mount /dev/$VG/s2 $S/m2 || why "mount failed"
    : > $S/w2.log
    sh "$W" $S/m2 $S/w2.log & wpid=$!
    sleep 4
    before=$(wc -l < $S/w2.log)
    probe list $VG | grep -q "^lvm:$VG/s2	in-use	.*mounted on $S/m2" || why "s2 not reported in-use/mounted"
    probe backup $VG s2 $S/s2.img --force > $S/s2.probe || { cat $S/s2.probe; why "backup failed"; }
    cat $S/s2.probe
    grep -q "^snapshot ndbackup-snap-" $S/s2.probe || why "no temporary snapshot was used"
    sleep 1
    kill $wpid; wait $wpid 2>/dev/null || true
    no_snapshot_left || why "temporary left behind"
    probe restore $VG s2-restored $S/s2.img || why "restore failed"
    rm -f $S/s2.img
    e2fsck -fn /dev/$VG/s2-restored || why "fsck -n of the restored filesystem is not clean"
    mkdir -p $S/r2 && mount -o ro /dev/$VG/s2-restored $S/r2 || why "restored filesystem does not mount"
    check_files $S/r2 $S/w2.log $before || { umount $S/r2; why "files do not match the writer's checksums"; }
    umount $S/r2
    note "ext4 with a running writer: fsck clean, $(ls $S/m2 | wc -l) files, $before versions completed before the backup all intact"
}

s4_thin() {
    l lvcreate -q -y -L 128M -T $VG/pool4 || why "thin pool creation failed"
    l lvcreate -q -y -V 48M -T $VG/pool4 -n s4 || why "thin LV creation failed"
    fill_random /dev/$VG/s4 40
    sleep 600 < /dev/$VG/s4 & hpid=$!
    sleep 1
    probe list $VG | grep -q "^lvm:$VG/s4	in-use" || why "s4 not in-use"
    probe backup $VG s4 $S/s4.img --force > $S/s4.probe || { cat $S/s4.probe; why "backup failed"; }
    cat $S/s4.probe
    grep -q "^snapshot ndbackup-snap-" $S/s4.probe || why "no temporary snapshot was used"
    probe restore $VG s4-restored $S/s4.img || why "restore failed"
    cmp /dev/$VG/s4 /dev/$VG/s4-restored || why "restored LV differs from the thin origin"
    kill $hpid
    no_snapshot_left || why "temporary left behind"
    rm -f $S/s4.img
    note "in-use thin LV backed up through a thin snapshot, restored byte-equal"
}

s5_kill() {
    l lvcreate -q -y -L 48M -n s5 $VG || why "lvcreate failed"
    fill_random /dev/$VG/s5 48
    sleep 600 < /dev/$VG/s5 & hpid=$!
    "$NDB_PROBE" backup $VG s5 $S/s5.img --force --throttle-ms 300 > $S/s5.probe 2>&1 & bpid=$!
    i=0
    while ! grep -q '^snapshot ' $S/s5.probe && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
    sleep 2
    kill -9 $bpid; wait $bpid 2>/dev/null || true
    cat $S/s5.probe
    ourlvs || why "no snapshot existed when the backup was killed"
    probe cleanup $VG || why "cleanup failed"
    no_snapshot_left || why "cleanup left the snapshot"
    probe list $VG | grep -q "^lvm:$VG/s5	in-use" || why "s5 status changed"
    kill $hpid
    note "SIGKILL mid-transfer left $(grep -c . $S/s5.probe) line(s) of output and a tagged snapshot; cleanup removed it"
}

s6_overflow() {
    l lvcreate -q -y -L 64M -n s6 $VG || why "lvcreate failed"
    fill_random /dev/$VG/s6 64
    sleep 600 < /dev/$VG/s6 & hpid=$!
    "$NDB_PROBE" --snapshot-percent 5 backup $VG s6 $S/s6.img --force --throttle-ms 200 > $S/s6.probe 2>&1 & bpid=$!
    i=0
    while ! grep -q '^snapshot ' $S/s6.probe && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
    l lvs -o lv_name,lv_size,snap_percent $VG
    dd if=/dev/urandom of=/dev/$VG/s6 bs=1M count=16 oflag=direct status=none
    rc=0
    wait $bpid || rc=$?
    cat $S/s6.probe
    kill $hpid
    [ $rc -eq 1 ] || why "backup exit code $rc, expected 1"
    grep -q "copy-on-write area full" $S/s6.probe || why "failure does not name the overflow"
    [ ! -e $S/s6.img ] || why "an image was kept"
    no_snapshot_left || why "the overflowed snapshot was not removed"
    note "$(sed -n 's/^backup failed: //p' $S/s6.probe)"
}

run_scenario d1-available s1_available
run_scenario d2-in-use-ext4 s2_in_use_ext4
umount $S/m2 2>/dev/null || true
run_scenario d4-thin s4_thin
run_scenario d5-kill-cleanup s5_kill
run_scenario d6-overflow s6_overflow
l lvremove -q -f $VG >/dev/null 2>&1 || true
