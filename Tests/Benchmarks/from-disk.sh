#!/bin/bash
# Drops FILES from the page cache (written out first), so that the agents of a benchmark map
# their binary as read from disk, as after a boot. A binary just written (copied, installed)
# and still cached from that write lies in the write's large folios, and the kernel maps a
# whole folio at a fault: the agents' resident file pages then depend on how the file came
# into the cache (3 to 5 MiB more, and not the same from one build to the next).
#
#   Tests/Benchmarks/from-disk.sh FILE...
set -euo pipefail
sync "$@"
for file in "$@"; do
    dd if="$file" iflag=nocache count=0 status=none
done
