#!/bin/sh
# Minimal workload for the vm scenarios (until tests/support's ndb-test-writer is used): keeps
# creating and rewriting files under MOUNTPOINT, each version written to a temporary name and
# renamed into place (the usual application pattern); once a version is in place its name and
# SHA-256 are appended to LOG.
mp=$1 log=$2
i=0
while :; do
    f=file$((i % 48))
    head -c $(( (i % 5 + 1) * 24576 )) /dev/urandom > "$mp/.tmp.$f" || exit 1
    sum=$(sha256sum < "$mp/.tmp.$f")
    mv "$mp/.tmp.$f" "$mp/$f" || exit 1
    echo "$f ${sum%% *}" >> "$log"
    i=$((i + 1))
done
