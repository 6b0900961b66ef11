# The guest as a remote LVM node (sourced by scenarios.sh): ndbackup-agent serves the VG over
# qemu's user-mode network (10.0.2.15; the host reaches it only through hostfwd on 127.0.0.1, with
# the same port numbers for the exports: export_public_address = 127.0.0.1). The host side of
# tst_lvm is the console: it drives the API and reads the exports, and asks this script, through
# files in the results share, for what only the guest can see (checksums, LVs, processes) and for
# the agent's death and restart:
#   host writes $R/ask-N (one command line), the guest answers in $R/answer-N, N = 1, 2, ...
# a0-agent-start is this script's result; the host writes the a1- to a6- results itself (a3-a6:
# the real ndbackupctl as the console, the files of backups it restored handed over in the share).
AS=/tmp/agent-state
ACONF=$S/agent.conf
agent_pid=""
# A process that exists and is not a zombie (an orphan's zombie lingers until init reaps it).
alive() { st=$(cat /proc/$1/stat 2>/dev/null) || return 1; st=${st##*) }; [ "${st%% *}" != Z ]; }
live_nbdkit() { for p in $(busybox pidof nbdkit); do if alive $p; then echo $p; fi; done; }

# Each start logs to a file of its own: "listening on" there is this start's, after its reaping.
start_agent() {
    ALOG=$S/agent-$(date +%s%N).log
    "$NDB_AGENT" run --config $ACONF > $ALOG 2>&1 < /dev/null & agent_pid=$!
    echo $agent_pid > $S/agent.pid
    end=$(( $(date +%s) + 60 ))
    while ! grep -q "listening on" $ALOG && [ "$(date +%s)" -lt $end ]; do
        alive $agent_pid || { echo "agent exited: $(tail -n 5 $ALOG)"; return 1; }
        sleep 0.2
    done
    grep -q "listening on" $ALOG
}

a0_agent_start() {
    l lvcreate -q -y -L 16M -n a1 $VG
    mkfs.ext4 -F -q /dev/$VG/a1
    mkdir -p $S/ma1 && mount /dev/$VG/a1 $S/ma1
    "$NDB_WRITER" --files $S/ma1 --log $S/wa1.log > /dev/null 2>&1 & echo $! > $S/wa1.pid
    busybox ip -4 addr show dev eth0 | grep -q "inet 10.0.2.15/" \
        || why "eth0 has no 10.0.2.15 (the guest init configures it): $(busybox ip -4 addr 2>&1)"
    # lvm_snapshot_percent = 100: the writer rewrites the small filesystem faster than the host
    # reads 16 MiB through slirp under TCG; the default 20 % copy-on-write area overflowed.
    cat > $ACONF <<EOF
lvm_volume_groups = $VG
state_dir = $AS
listen = 10.0.2.15:8787
export_address = 10.0.2.15
export_public_address = 127.0.0.1
export_ports = $NDB_AGENT_PORTS
lease_seconds = 60
lvm_snapshot_percent = 100
node_name = ndb-guest
EOF
    "$NDB_AGENT" --config $ACONF trust-console "$NDB_CONSOLE_FINGERPRINT" --label "tst_lvm host" || why "trust-console failed"
    start_agent || why "the agent did not start: $(tail -n 5 $ALOG)"
    # Enrolment: the host pins this certificate (the results share is the trusted channel).
    cp $AS/identity/identity-cert.pem $R/agent-cert.pem.tmp && mv $R/agent-cert.pem.tmp $R/agent-cert.pem
    note "agent $("$NDB_AGENT" --config $ACONF show-fingerprint) on 10.0.2.15:8787 over $VG, a1 mounted and written to"
}

check_files() {
    cp "$R/$1" $S/chk.img || { echo "FAILED: cannot copy $1 from the share"; return; }
    e2fsck -fn $S/chk.img > $S/chk.fsck 2>&1 || { echo "FAILED: fsck -n is not clean: $(tail -n 3 $S/chk.fsck)"; rm -f $S/chk.img; return; }
    mkdir -p $S/chk
    if mount -o ro,loop $S/chk.img $S/chk; then
        "$NDB_WRITER_CHECK" files $S/chk $S/wa1.log "$2" 2>&1 | tail -n 1
        umount $S/chk
    else
        echo "FAILED: the restored filesystem does not mount"
    fi
    rm -f $S/chk.img
}

# Answers the host's questions until it says done (or goes silent for 300 s).
serve_host() {
    agent_pid=$(cat $S/agent.pid)
    n=1
    idle=0
    while [ $idle -lt 1500 ]; do
        if [ ! -e $R/ask-$n ]; then
            sleep 0.2; idle=$((idle + 1)); continue
        fi
        idle=0
        set -- $(cat $R/ask-$n)
        log "host asks: $*"
        case "$1" in
            sha256) a=$(sha256sum < /dev/$VG/$2); a=${a%% *} ;;
            ourlvs) a=$(ourlvs | awk '{print $1}' | tr '\n' ' ') ;;
            nbdkit) a=$(live_nbdkit | tr '\n' ' ') ;;
            kill-agent) agent_pid=$(cat $S/agent.pid); kill -9 $agent_pid
                        while alive $agent_pid; do sleep 0.1; done; a="killed $agent_pid" ;;
            start-agent) if start_agent; then a=started; else a="failed: $(tail -n 3 $ALOG)"; fi ;;
            logpos) a=$(stat -c %s $S/wa1.log) ;;
            # A backup of a1 the host restored into the share as a file: fsck, then every file
            # the writer completed before the host's logpos is there (c2's check).
            check-files) a=$(check_files "$2" "$3") ;;
            done) a=bye ;;
            *) a="unknown question $1" ;;
        esac
        echo "$a" > $R/answer-$n.tmp && mv $R/answer-$n.tmp $R/answer-$n
        n=$((n + 1))
        [ "$1" = done ] && break
    done
    [ $idle -lt 1500 ] || log "the host asked nothing for 300 s"
    agent_pid=$(cat $S/agent.pid)
    kill $agent_pid 2>/dev/null
    while alive $agent_pid; do sleep 0.1; done
    kill "$(cat $S/wa1.pid)" 2>/dev/null
    for f in $S/agent-*.log; do log "agent log $f:"; cat $f; done
    umount $S/ma1
}

if [ -n "${NDB_AGENT:-}" ]; then
    run_scenario a0-agent-start a0_agent_start
    if grep -q PASS $R/a0-agent-start.result; then
        serve_host
    fi
fi
