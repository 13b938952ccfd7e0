#!/bin/bash
# Instructions the agent executes per heartbeat sent, per heartbeat received and per http
# check, counted by valgrind's callgrind: unlike CPU time they do not drift with the
# machine's load, so two builds compare exactly. `make bench` runs it and writes the
# figures to Docs/BENCHMARKS.md ("Instructions per event").
#
#   Tests/Benchmarks/instruction-counts.sh [VACATAIRE_BINARY] [SECONDS]
#
# With BEFORE=ANOTHER_BINARY (and BEFORE_COMMIT=the commit it was built from), the same
# phases run for that binary first, and the table has both columns: before and after.
#
# Four phases of a settled pair on loopback (the agent under callgrind is alpha, the
# active node; beta runs natively), each counted over SECONDS (default 30):
#   base:    both send heartbeats every 50 ms;
#   more-received: beta sends each heartbeat on two paths (127.0.0.1 and 127.0.0.2), so
#            alpha receives twice as many: per heartbeat received, the instructions added
#            divided by the heartbeats added;
#   fewer-sent: alpha every 100 ms: the same per heartbeat sent (its tick included);
#   check:   base, and alpha runs an http check every 100 ms against a local page: what
#            is added, divided by the check's runs.
# The counts of events come from the agent itself (/metrics, `status --json`).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=$(realpath "${1:-$root/.build-bench/release/vacataire}")
seconds=${2:-30}
out=$root/demo-out/instructions
say() { echo "[instructions] $*"; }
die() { echo "[instructions] $*" >&2; exit 1; }
[ -x "$vacataire" ] || die "no agent at $vacataire: build it first (bash Config/link/release-build.sh .build-bench)"
command -v valgrind >/dev/null || { say "installing valgrind (Debian package)"; apt-get install -y -qq valgrind >/dev/null; }
command -v callgrind_control >/dev/null || die "callgrind_control is missing: apt-get install valgrind"

rm -rf "$out"
mkdir -p "$out/page"
cd "$out"
# Valgrind cannot read the DWARF of a Swift release build ("Possibly corrupted debuginfo
# file"): count a copy without it (the totals need no symbols).
strip --strip-debug -o "$out/vacataire" "$vacataire"
measured=$out/vacataire
if [ -n "${BEFORE:-}" ]; then
    [ -x "$BEFORE" ] || die "no binary at BEFORE=$BEFORE"
    strip --strip-debug -o "$out/vacataire-before" "$(realpath "$BEFORE")"
fi
openssl rand -hex 32 >peer.key
chmod 600 peer.key
head -c 4096 /dev/zero | tr '\0' 'x' >page/index.html

# Every process started is listed in $out/pids (phases run in subshells), and killed at
# the end whatever happens: a beta left running would answer the next run's alpha.
cleanup() {
    [ -f "$out/pids" ] && while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$out/pids"
    wait 2>/dev/null || true
}
trap cleanup EXIT
started() { echo "$1" >>"$out/pids"; }

python3 -m http.server 18480 --bind 127.0.0.1 --directory page >/dev/null 2>&1 &
started $!

source "$root/Tests/Benchmarks/loopback-node.sh"
page=http://127.0.0.1:18480/index.html

metric() {  # PORT NAME{LABELS} -> value
    local value
    value=$(curl -s -m 5 "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 == name {print $2}' | head -1)
    echo "${value:-0}"
}
runs() {  # CONFIG -> runs of check `page`
    "$vacataire" status --json --config "$1" 2>/dev/null \
        | python3 -c 'import json,sys; print(sum(c.get("runs", 0) for c in json.load(sys.stdin)["checks"]))' 2>/dev/null || echo 0
}
answers() { "$vacataire" status --json --config "$1" >/dev/null 2>&1; }
total_ir() {  # a callgrind dump -> its total instructions
    awk '/^(summary|totals):/ {print $2; exit}' "$1"
}

# phase NAME CHECK ALPHA_HEARTBEAT BETA_PATHS -> "Ir sent received checks copies" over the
# window; copies are the heartbeat copies alpha sent because it was late (slowed by
# callgrind on a busy machine): their sealing is in Ir, so a run with many is not clean.
phase() {
    local name=$1 check=$2 alphabeat=$3 betapaths=$4
    rm -rf state-alpha state-beta callgrind.out.*
    loopback_node master alpha beta 17411 17412 19411 "$check" "$alphabeat" >alpha.yaml
    loopback_node standby beta alpha 17412 17411 19412 - 50ms "$betapaths" >beta.yaml
    mkdir -p state-alpha state-beta
    "$vacataire" run --config beta.yaml >>"beta-$name.log" 2>&1 &
    local betapid=$!
    started "$betapid"
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
        "$measured" run --config alpha.yaml >>"alpha-$name.log" 2>&1 &
    local alpha=$!
    started "$alpha"
    for _ in $(seq 600); do answers alpha.yaml && break; sleep 0.5; done
    answers alpha.yaml || die "alpha under callgrind never answered (see $out/alpha-$name.log)"
    grep -q "cannot listen" "beta-$name.log" && die "beta could not listen (a process left from another run?): $out/beta-$name.log"
    sleep 15  # its start: the startup wait, the start's pages released (StartupPages)
    local sent0 received0 runs0 sent1 received1 runs1 copies0 copies1
    callgrind_control -z "$alpha" &>/dev/null
    copies0=$(metric 19411 'vacataire_peer_heartbeat_copies_total')
    sent0=$(metric 19411 'vacataire_peer_datagrams_total{direction="sent"}')
    received0=$(metric 19411 'vacataire_peer_datagrams_total{direction="received"}')
    runs0=$(runs alpha.yaml)
    sleep "$seconds"
    sent1=$(metric 19411 'vacataire_peer_datagrams_total{direction="sent"}')
    received1=$(metric 19411 'vacataire_peer_datagrams_total{direction="received"}')
    runs1=$(runs alpha.yaml)
    copies1=$(metric 19411 'vacataire_peer_heartbeat_copies_total')
    callgrind_control -d "$alpha" &>/dev/null
    local refused
    refused=$(curl -s -m 5 "http://127.0.0.1:19411/metrics" | awk '/^vacataire_peer_rejected_datagrams_total\{reason="(bad-mac|unknown-key|unknown-peer|wrong-cluster)"/ {sum += $2} END {print sum + 0}')
    [ "$refused" = 0 ] || die "alpha refused $refused of beta's datagrams for their key or sender in phase $name: not a healthy pair (see $out/*-$name.log)"
    sleep 1
    local dump
    dump=$(ls -t "$out"/callgrind.out."$alpha"* | head -1)
    echo "$(total_ir "$dump") $(( ${sent1%.*} - ${sent0%.*} )) $(( ${received1%.*} - ${received0%.*} )) $(( runs1 - runs0 )) $(( ${copies1%.*} - ${copies0%.*} ))"
    kill "$alpha" "$betapid" 2>/dev/null || true
    wait "$alpha" "$betapid" 2>/dev/null || true
}

# counts BINARY -> the four phases' "Ir sent received checks", one line each
counts() {
    measured=$1
    say "phase base: heartbeats every 50 ms both ways, $seconds s ($1)" >&2
    phase base - 50ms 1
    say "phase more-received: beta's heartbeats on two paths, $seconds s" >&2
    phase more-received - 50ms 2
    say "phase fewer-sent: alpha's heartbeats every 100 ms, $seconds s" >&2
    phase fewer-sent - 100ms 1
    say "phase check: base with an http check every 100 ms, $seconds s" >&2
    phase check "$page" 50ms 1
}
after=$(counts "$out/vacataire")
before=""
[ -n "${BEFORE:-}" ] && before=$(counts "$out/vacataire-before")

report=$(python3 - "$seconds" "$after" "$before" "${BEFORE_COMMIT:-before}" <<'EOF'
import sys
s = float(sys.argv[1])
def figures(text):
    (ir1, s1, r1, _, k1), (ir2, s2, r2, _, k2), (ir3, s3, r3, _, k3), (ir4, s4, r4, c4, k4) = (
        [float(x) for x in line.split()] for line in text.strip().splitlines())
    copies = " (%.0f heartbeat copies)" % (k1 + k2 + k3 + k4) if k1 + k2 + k3 + k4 else ""
    # Per second, so that phases of slightly different event counts compare.
    return {
        "sent": ((ir1 - ir3) / s / max((s1 - s3) / s, 1e-9), "%.0f and %.0f sent in %.0f s" % (s1, s3, s)),
        "received": ((ir2 - ir1) / s / max((r2 - r1) / s, 1e-9), "%.0f and %.0f received in %.0f s" % (r1, r2, s)),
        "check": ((ir4 - ir1) / max(c4, 1), "%.0f runs in %.0f s" % (c4, s)),
        "idle": (ir1 / s, "%.0f s%s" % (s, copies)),
        "idle_check": (ir4 / s, "%.0f s" % s),
    }
after = figures(sys.argv[2])
before = figures(sys.argv[3]) if sys.argv[3].strip() else None
rows = [("sent", "heartbeat sent (its tick included)"), ("received", "heartbeat received"),
        ("check", "http check run (4 KiB page, loopback)"), ("idle", "the active node, 50 ms heartbeats both ways, per second"),
        ("idle_check", "the same with a 100 ms http check, per second")]
if before:
    print("| event | before (%s) | after | from (after) |" % sys.argv[4])
    print("| --- | --- | --- | --- |")
    for key, name in rows:
        print("| %s | %s | %s | %s |" % (name, format(round(before[key][0]), ","), format(round(after[key][0]), ","), after[key][1]))
else:
    print("| event | instructions | from |")
    print("| --- | --- | --- |")
    for key, name in rows:
        print("| %s | %s | %s |" % (name, format(round(after[key][0]), ","), after[key][1]))
EOF
)
echo "$report"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
section=$(cat <<MD
## Instructions per event (instruction-counts.sh)

Counted by valgrind's callgrind (\`make bench\`, Tests/Benchmarks/instruction-counts.sh) on
$(date -u +%Y-%m-%d), release build of commit $commit, the agent alpha on loopback at
heartbeat 50 ms, $seconds s per phase. Instruction counts do not drift with the machine's
load as CPU time does: they compare two builds exactly. Each figure is a difference between
two phases of the same settled pair: beta sending each heartbeat on two paths instead of
one (per heartbeat received), alpha's heartbeats at 100 ms instead of 50 ms (per heartbeat
sent, its tick included), an http check every 100 ms added (per run). User-space instructions only: the kernel's part of a send or a
receive is not counted.

$report
MD
)
python3 "$root/Tests/Fixtures/bench_section.py" "$root/Docs/BENCHMARKS.md" "$section"
