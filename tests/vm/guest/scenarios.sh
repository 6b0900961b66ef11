#!/bin/sh
# Runs inside the vm guest (see tst_lvm.cpp): host root read-only at /, tmpfs on /tmp and /run,
# results share at $NDB_RESULTS. Sets up a VG on a loop device and runs every scenario; each
# writes $NDB_RESULTS/<scenario>.result starting with PASS or FAIL.
set -u
R=$NDB_RESULTS
S=/tmp/ndb
mkdir -p $S
export DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1
LVMCFG='activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0}'
VG=ndbvg

log() { echo "[$(date +%T)] $*"; }
result() { n=$1; shift; echo "$*" > "$R/$n.result"; log "=== $n: $*"; }
# lvm with the udev-less configuration (the guest has no udev)
l() { c=$1; shift; lvm "$c" --config "$LVMCFG" "$@"; }
probe() { log "+ probe $*" >&2; "$NDB_PROBE" "$@"; }
ourlvs() { l lvs --noheadings -o lv_name,lv_tags $VG | grep -E 'ndbackup' ; }

# ---- 0: environment ------------------------------------------------------------------------
env_problems=""
for m in /dev /proc /sys /run /tmp; do
    grep -q " $m " /proc/mounts || env_problems="$env_problems $m-not-mounted"
done
grep -q " /dev devtmpfs" /proc/mounts || env_problems="$env_problems /dev-not-devtmpfs"
grep -q " /tmp tmpfs" /proc/mounts || env_problems="$env_problems /tmp-not-tmpfs"
modprobe dm-snapshot && modprobe dm-thin-pool && modprobe loop || env_problems="$env_problems modprobe-failed"
[ -c /dev/mapper/control ] || { mkdir -p /dev/mapper; dmsetup mknodes >/dev/null 2>&1; }
[ -c /dev/mapper/control ] || env_problems="$env_problems no-/dev/mapper/control"
truncate -s 768M $S/pv.img
LOOP=$(losetup -f --show $S/pv.img) || env_problems="$env_problems losetup-failed"
log "PV on $LOOP"
l pvcreate -q "$LOOP" && l vgcreate -q $VG "$LOOP" || env_problems="$env_problems vgcreate-failed"
l lvcreate -q -y -L 8M -n envcheck $VG && [ -b /dev/$VG/envcheck ] && l lvremove -q -f $VG/envcheck \
    || env_problems="$env_problems lvcreate-failed"
if [ -z "$env_problems" ]; then
    result 0-environment "PASS kernel $(uname -r), lvm $(lvm version | sed -n 's/.*LVM version: *//p'), PV $LOOP"
else
    result 0-environment "FAIL$env_problems"
    exit 1
fi

# ---- 0: driver inventory (thick, thin, in-use, hidden internals, temporaries) ---------------
inventory() {
    l lvcreate -q -y -L 16M -n inv-thick $VG || return 1
    l lvcreate -q -y -L 64M -T $VG/invpool || return 1
    l lvcreate -q -y -V 32M -T $VG/invpool -n inv-thin || return 1
    l lvcreate -q -y -L 8M -n ndbackup-snap-leftover --addtag ndbackup $VG || return 1
    exec 7</dev/$VG/inv-thin   # hold the thin LV open: in-use
    probe list $VG > $S/inv.txt || return 1
    cat $S/inv.txt
    grep -q "^lvm:$VG/inv-thick	available	16777216	" $S/inv.txt || { echo "inv-thick missing or wrong"; return 1; }
    grep -q "^lvm:$VG/inv-thin	in-use	33554432	" $S/inv.txt || { echo "inv-thin not in-use"; return 1; }
    ! grep -q -e invpool -e ndbackup $S/inv.txt || { echo "pool or temporary listed as a volume"; return 1; }
    exec 7<&-
    probe list $VG | grep -q "^lvm:$VG/inv-thin	available" || { echo "inv-thin still in-use after close"; return 1; }
    probe temporaries $VG | grep -q '^ndbackup-snap-leftover	leftover' || { echo "leftover not found"; return 1; }
    probe cleanup $VG || return 1
    ! ourlvs || { echo "leftover not removed"; return 1; }
    l lvremove -q -f $VG/inv-thick $VG/inv-thin $VG/invpool
}
if inventory; then result 0-driver-inventory PASS; else result 0-driver-inventory "FAIL see guest.log"; fi

# ---- helpers for the data scenarios --------------------------------------------------------
fill_random() { dd if=/dev/urandom of="$1" bs=1M count="$2" oflag=direct status=none; }
no_snapshot_left() { if ourlvs; then echo "temporary LVs left:"; ourlvs; return 1; fi; return 0; }
# check_files MOUNTPOINT LOG LINES: every file present matches a logged version; every file logged
# within the first LINES lines (completed before the snapshot) is present.
check_files() {
    mp=$1 wlog=$2 before=$3 bad=0 n=0
    for p in "$mp"/file*; do
        [ -e "$p" ] || continue
        f=${p##*/}; s=$(sha256sum < "$p"); s=${s%% *}
        if ! grep -q "^$f $s\$" "$wlog"; then echo "file $f: content matches no completed version"; bad=1; fi
        n=$((n + 1))
    done
    for f in $(head -n "$before" "$wlog" | cut -d' ' -f1 | sort -u); do
        [ -e "$mp/$f" ] || { echo "file $f completed before the snapshot is missing"; bad=1; }
    done
    echo "checked $n files against $(wc -l < "$wlog") logged versions ($before before the backup)"
    return $bad
}
# Scenario functions print to the guest log as they go; why/note also land in $S/<scenario>.notes.
why() { echo "why: $*" | tee -a "$NOTES"; return 1; }
note() { echo "note: $*" | tee -a "$NOTES"; }
# run_scenario NAME FUNCTION: PASS with the last note, FAIL with the first reason.
run_scenario() {
    log "---- $1"
    NOTES=$S/$1.notes
    : > "$NOTES"
    # set -e: a step that fails without a reason still fails the scenario; a watchdog turns a
    # hang into a failure instead of eating the whole guest's time.
    ( set -e; "$2" ) & spid=$!
    ( sleep 180; echo "why: timed out after 180 s" >> "$NOTES"; kill -9 $spid ) 2>/dev/null & wpid=$!
    rc=0
    wait $spid || rc=$?
    kill $wpid 2>/dev/null || true
    if [ $rc -eq 0 ]; then
        result "$1" "PASS $(sed -n 's/^note: //p' "$NOTES" | tail -n 1)"
    else
        reason=$(sed -n 's/^why: //p' "$NOTES" | head -n 1)
        result "$1" "FAIL ${reason:-exit $rc, see guest.log}"
    fi
}

# The driver-level scenarios repeat 1, 2, 4, 5, 6 with lvmdriver_probe in place of the engine;
# ndbackupctl covers the driver too, so they only run on request (NDB_VM_DRIVER_SCENARIOS=1).
# NDB_VM_ONLY=agent (tst_lvm passes it on) runs only the environment and the agent scenarios.
if [ "${NDB_VM_ONLY:-}" != agent ]; then
    if [ "${NDB_VM_DRIVER_SCENARIOS:-0}" = 1 ]; then
        . "$NDB_SOURCE_DIR/tests/vm/guest/driver-scenarios.sh"
    fi
    . "$NDB_SOURCE_DIR/tests/vm/guest/cli-scenarios.sh"
fi
. "$NDB_SOURCE_DIR/tests/vm/guest/agent-scenarios.sh"

l lvs -a -o lv_name,lv_attr,lv_size,lv_tags $VG
log "done"
