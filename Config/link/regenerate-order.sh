#!/bin/bash
# Refreshes vacataire.order, the functions an idle agent runs in the order the linker lays
# them out (release-build.sh). As root on Debian with perf (linux-perf) and what
# `make bench` needs. Each pass builds with the current order, runs the idle pair of
# Tests/Benchmarks/failover-bench.sh (PHASES=link-order: the namespace hosts, an http check,
# the witness, SMTP and traps) for ORDER_SECONDS, and adds the functions it saw run; a pass
# finds what the previous layout hid (the kernel maps 64 KiB around each fault, so one
# function seen hides its neighbours). Run it after a change to the idle loop; commit the
# file. About a minute a pass after the first build.
#
#   Config/link/regenerate-order.sh [PASSES]   (default 4; builds in .build-bench, or in
#                                               $VACATAIRE_SCRATCH)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
passes=${1:-4}
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
order=$root/Config/link/vacataire.order
for ((pass = 1; pass <= passes; pass++)); do
    binary=$(bash Config/link/release-build.sh "${VACATAIRE_SCRATCH:-$root/.build-bench}" | tail -1)
    log=$(mktemp)
    PHASES=link-order bash Tests/Benchmarks/failover-bench.sh "$binary" 2>&1 | tee "$log" >&2
    found=$(sed -n 's/.*the functions the idle pair ran: //p' "$log" | tail -1)
    rm -f "$log"
    [ -s "$found" ] || { echo "pass $pass recorded no function" >&2; exit 1; }
    before=$(awk '!/^#/ && NF' "$order" 2>/dev/null | wc -l)
    {
        echo "# The functions an idle agent runs, laid out together by lld (Config/link/release-build.sh)."
        echo "# Written by Config/link/regenerate-order.sh; mangled names, one per line."
        python3 Tests/Fixtures/link_order.py merge "$order" "$found"
    } >"$order.new"
    mv "$order.new" "$order"
    rm -rf "$(dirname "$(dirname "$found")")"
    echo "pass $pass: $(awk '!/^#/ && NF' "$order" | wc -l) functions ($before before)" >&2
done
