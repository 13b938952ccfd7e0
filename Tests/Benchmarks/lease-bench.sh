#!/bin/bash
# Mode etcd's figures (Docs/BENCHMARKS.md, "etcd lease mode"): takeover times on a check
# failure and on a leader crash, at the default timings and at tight ones, and the etcd
# requests an idle node sends, on the lease lab (three agents, a three-member etcd,
# HAProxy, network namespaces). As root on Debian; `make bench` runs it with the release build.
#
#   Tests/Benchmarks/lease-bench.sh [VACATAIRE_BINARY]
#
# ROUNDS (default 5) rounds of each figure. About 5 minutes with the defaults. The debug
# test bundle drives the lab (swift build --build-tests first); the agents are the binary given.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$(realpath "${1:-.build-bench/release/vacataire}")
[ -x "$binary" ] || { echo "no agent at $binary: run make bench (or Config/link/release-build.sh .build-bench)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SWIFT=${SWIFT:-swift}
VACATAIRE_BENCH_LEASE="$out" VACATAIRE_BINARY="$binary" ROUNDS="${ROUNDS:-5}" \
    "$SWIFT" test --skip-build --disable-swift-testing --filter 'LeaseBench' >&2
[ -s "$out" ] || { echo "the lease benchmark wrote nothing" >&2; exit 1; }
python3 Tests/Fixtures/bench_section.py Docs/BENCHMARKS.md "$(cat "$out")"
cat "$out"
