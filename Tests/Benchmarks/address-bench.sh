#!/bin/bash
# The floating address's figures (Docs/BENCHMARKS.md, "Floating address"): how long a
# client gets no answer through the address when the served page breaks and when the
# master's agent and service are killed, for vacataire and then for keepalived moving the
# same address on the same network-namespace hosts. As root on Debian; `make bench` runs it
# with the release build.
#
#   Tests/Benchmarks/address-bench.sh [VACATAIRE_BINARY]
#
# ROUNDS (default 5) rounds of each figure. About 4 minutes. The debug test bundle drives
# the hosts (swift build --build-tests first); the agents are the binary given.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$(realpath "${1:-.build-bench/release/vacataire}")
[ -x "$binary" ] || { echo "no agent at $binary: run make bench (or Config/link/release-build.sh .build-bench)" >&2; exit 1; }
command -v keepalived >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends keepalived >/dev/null \
    && (systemctl disable --now keepalived >/dev/null 2>&1 || true); }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SWIFT=${SWIFT:-swift}
VACATAIRE_BENCH_ADDRESS="$out" VACATAIRE_AGENT="$binary" ROUNDS="${ROUNDS:-5}" \
    "$SWIFT" test --skip-build --disable-swift-testing --filter 'AddressBench' >&2
[ -s "$out" ] || { echo "the floating-address benchmark wrote nothing" >&2; exit 1; }
python3 Tests/Fixtures/bench_section.py Docs/BENCHMARKS.md "$(cat "$out")"
cat "$out"
