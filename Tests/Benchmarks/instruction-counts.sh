#!/bin/bash
# Instructions the agent executes per heartbeat sent, per heartbeat received and per http
# check, counted by valgrind's callgrind: unlike CPU time they do not drift with the
# machine's load, so two builds compare exactly. `make bench` runs it and writes the
# figures to Docs/BENCHMARKS.md ("Instructions per event").
#
#   Tests/Benchmarks/instruction-counts.sh [VACATAIRE_BINARY] [SECONDS]
#
# Three phases on loopback, heartbeat 50 ms (the agent under callgrind is alpha; beta
# runs natively), each counted over SECONDS (default 30) once alpha has settled:
#   lone:  alpha alone (its peer never answers): every instruction of the idle agent,
#          divided by the heartbeats it sent;
#   pair:  beta runs: what is added, divided by the heartbeats received;
#   check: alpha also runs an http check every 100 ms against a local page: what is
#          added, divided by the check's runs.
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
openssl rand -hex 32 >peer.key
chmod 600 peer.key
head -c 4096 /dev/zero | tr '\0' 'x' >page/index.html

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

python3 -m http.server 18480 --bind 127.0.0.1 --directory page >/dev/null 2>&1 &
pids+=($!)

# node ROLE NAME PEER PORT PEERPORT HTTPPORT CHECK(yes|no)
node() {
    local role=$1 name=$2 peer=$3 port=$4 peerport=$5 httpport=$6 check=$7
    cat <<EOF
node: {name: $name, cluster: bench}
state_dir: state-$name
control: {socket: state-$name/control.sock}
http: {address: 127.0.0.1, port: $httpport}
notify: {email: [], snmp: []}
EOF
    if [ "$check" = yes ]; then
        cat <<EOF
checks:
  - {name: page, kind: http, url: "http://127.0.0.1:18480/index.html", expect_status: 200, expect_bytes: 4096, interval: 100ms, timeout: 1s, scope: node}
EOF
    fi
    cat <<EOF
failover:
  role: $role
  peer: {name: $peer, addresses: ["127.0.0.1:$peerport"]}
  listen: {address: 127.0.0.1, port: $port}
  keys: [{id: 1, file: peer.key}]
  heartbeat_interval: 50ms
  dead_after: 10s
  self_fence_after: 3s
  actions:
    start: {command: "true", timeout: 5s}
    stop: {command: "true", timeout: 2s}
  no_witness: stay
EOF
}

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

# phase NAME CHECK BETA -> "Ir sent received checks" over the window
phase() {
    local name=$1 check=$2 beta=$3
    rm -rf state-alpha state-beta callgrind.out.*
    node master alpha beta 17411 17412 19411 "$check" >alpha.yaml
    node standby beta alpha 17412 17411 19412 no >beta.yaml
    mkdir -p state-alpha state-beta
    local betapid=""
    if [ "$beta" = yes ]; then
        "$vacataire" run --config beta.yaml >>"beta-$name.log" 2>&1 &
        betapid=$!
        pids+=("$betapid")
    fi
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
        "$measured" run --config alpha.yaml >>"alpha-$name.log" 2>&1 &
    local alpha=$!
    pids+=("$alpha")
    for _ in $(seq 600); do answers alpha.yaml && break; sleep 0.5; done
    answers alpha.yaml || die "alpha under callgrind never answered (see $out/alpha-$name.log)"
    sleep 15  # its start: the startup wait, the start's pages released (StartupPages)
    local sent0 received0 runs0 sent1 received1 runs1
    callgrind_control -z "$alpha" &>/dev/null
    sent0=$(metric 19411 'vacataire_peer_datagrams_total{direction="sent"}')
    received0=$(metric 19411 'vacataire_peer_datagrams_total{direction="received"}')
    runs0=$(runs alpha.yaml)
    sleep "$seconds"
    sent1=$(metric 19411 'vacataire_peer_datagrams_total{direction="sent"}')
    received1=$(metric 19411 'vacataire_peer_datagrams_total{direction="received"}')
    runs1=$(runs alpha.yaml)
    callgrind_control -d "$alpha" &>/dev/null
    sleep 1
    local dump
    dump=$(ls -t "$out"/callgrind.out."$alpha"* | head -1)
    echo "$(total_ir "$dump") $(( ${sent1%.*} - ${sent0%.*} )) $(( ${received1%.*} - ${received0%.*} )) $(( runs1 - runs0 ))"
    kill "$alpha" 2>/dev/null || true
    [ -n "$betapid" ] && kill "$betapid" 2>/dev/null || true
    wait "$alpha" 2>/dev/null || true
    [ -n "$betapid" ] && { wait "$betapid" 2>/dev/null || true; }
    true
}

say "phase lone: alpha alone for $seconds s"
read -r ir1 sent1 received1 runs1 < <(phase lone no no)
say "phase pair: with beta for $seconds s"
read -r ir2 sent2 received2 runs2 < <(phase pair no yes)
say "phase check: with beta and an http check every 100 ms for $seconds s"
read -r ir3 sent3 received3 runs3 < <(phase check yes yes)

python3 - "$seconds" "$ir1" "$sent1" "$received1" "$ir2" "$sent2" "$received2" "$ir3" "$sent3" "$received3" "$runs3" <<'EOF'
import sys
s, ir1, s1, r1, ir2, s2, r2, ir3, s3, r3, c3 = (float(x) for x in sys.argv[1:])
per_sent = ir1 / max(s1, 1)
per_received = (ir2 - per_sent * s2) / max(r2, 1)
per_check = (ir3 - per_sent * s3 - per_received * r3) / max(c3, 1)
print(f"instructions per heartbeat sent (the idle agent's whole loop, alone): {per_sent:,.0f}  ({s1:.0f} sent in {s:.0f} s, {ir1/s:,.0f} instructions/s)")
print(f"instructions per heartbeat received:                                {per_received:,.0f}  ({r2:.0f} received in {s:.0f} s)")
print(f"instructions per http check run:                                   {per_check:,.0f}  ({c3:.0f} runs in {s:.0f} s)")
print(f"whole idle pair node (heartbeats both ways, 100 ms http check):    {ir3/s:,.0f} instructions/s")
EOF
