#!/bin/bash
# Measures a real pair on loopback (Config/pair, heartbeat 200 ms, dead_after 3 s) and
# writes the figures to Docs/BENCHMARKS.md: the agents' memory and CPU while idle, the
# peer link's datagram rate, and how long a handoff, a failback and a takeover after a
# crash take, from the cause to the other node's service answering. `make bench`.
#
#   Tests/Benchmarks/pair-bench.sh [VACATAIRE_BINARY] [ROUNDS]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=$(realpath "${1:-$root/.build/debug/vacataire}")
rounds=${2:-5}
out=$root/demo-out/bench
rm -rf "$out"
mkdir -p "$out"
cp -r "$root/Config/pair/." "$out/"
openssl rand -hex 32 >"$out/peer.key"
chmod 600 "$out/peer.key"
cd "$out"
declare -A agent
cleanup() {
    for pid in "${agent[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    ./service.sh stop alpha || true
    ./service.sh stop beta || true
}
trap cleanup EXIT

start() { "$vacataire" run --config "$2" >>"$1.log" 2>&1 & agent[$1]=$!; }
now() { date +%s.%N; }
answers() { curl -s -m 0.5 "http://127.0.0.1:$1/" 2>/dev/null | grep -q "served by $2"; }
wait_answer() {  # port name -> seconds waited
    local begin=$1 port=$2 name=$3
    for _ in $(seq 600); do answers "$port" "$name" && { printf '%.2f\n' "$(echo "$(now) - $begin" | bc)"; return; }; sleep 0.02; done
    echo "timeout"
}
state() { "$vacataire" status --json --config "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || echo none; }
wait_state() { for _ in $(seq 500); do [ "$(state "$1")" = "$2" ] && return 0; sleep 0.02; done; return 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
stats() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print("%.2f %.2f %.2f" % (statistics.median(v), min(v), max(v)))' "$@"; }

start alpha master.yaml
start beta standby.yaml
wait_state master.yaml active
wait_state standby.yaml standby

# Idle: 10 s of heartbeats and checks, once each agent has released its start's pages (10 s
# after its start, StartupPages).
for node in alpha beta; do
    for _ in $(seq 300); do grep -q "released the pages" "$node.log" 2>/dev/null && break; sleep 0.1; done
done
ticks=$(getconf CLK_TCK)
a0=$(cpu_ticks "${agent[alpha]}"); b0=$(cpu_ticks "${agent[beta]}")
sleep 10
a1=$(cpu_ticks "${agent[alpha]}"); b1=$(cpu_ticks "${agent[beta]}")
cpu_alpha=$(echo "scale=2; ($a1 - $a0) * 100 / $ticks / 10" | bc)
cpu_beta=$(echo "scale=2; ($b1 - $b0) * 100 / $ticks / 10" | bc)
rss_alpha=$(rss_kib "${agent[alpha]}"); rss_beta=$(rss_kib "${agent[beta]}")

handoffs=(); failbacks=(); takeovers=()
for round in $(seq "$rounds"); do
    begin=$(now); touch alpha.broken
    handoffs+=("$(wait_answer "$begin" 8082 beta)")
    wait_state master.yaml failed
    rm alpha.broken
    for _ in $(seq 100); do "$vacataire" status --config master.yaml | head -1 | grep -q ', healthy$' && break; sleep 0.1; done
    begin=$(now); "$vacataire" failback --config master.yaml >/dev/null
    failbacks+=("$(wait_answer "$begin" 8081 alpha)")
    wait_state standby.yaml standby
done
# A crash: the master's agent and service die at once; the standby decides after dead_after.
begin=$(now)
kill -9 "${agent[alpha]}"; wait "${agent[alpha]}" 2>/dev/null || true; ./service.sh stop alpha
takeovers+=("$(wait_answer "$begin" 8082 beta)")
rss_after=$(rss_kib "${agent[beta]}")

read -r handoff_med handoff_min handoff_max <<<"$(stats "${handoffs[@]}")"
read -r failback_med failback_min failback_max <<<"$(stats "${failbacks[@]}")"
binary=$(basename "$(dirname "$vacataire")")
report=$(cat <<MD
## A pair on loopback (pair-bench.sh)

Measured by \`make bench\` (Tests/Benchmarks/pair-bench.sh) on $(nproc) cores, $(date -u +%Y-%m-%d),
\`vacataire\` $binary build, the loopback pair of Config/pair (heartbeat 200 ms, dead_after 3 s,
check interval 500 ms with fall 2, rise 2). Times run from the cause to the other node's
service answering over HTTP, sampled every 20 ms; $rounds rounds each.

| figure | value |
| --- | --- |
| idle agent memory (RSS) | alpha $((rss_alpha / 1024)) MiB, beta $((rss_beta / 1024)) MiB |
| idle agent CPU (heartbeats every 200 ms, one check every 500 ms) | alpha ${cpu_alpha}%, beta ${cpu_beta}% of one core |
| handoff: master's check fails -> standby serves | median ${handoff_med} s (min ${handoff_min}, max ${handoff_max}) |
| failback: \`vacataire failback\` -> master serves | median ${failback_med} s (min ${failback_min}, max ${failback_max}) |
| takeover: master crashes (agent and service killed) -> standby serves | ${takeovers[0]} s (dead_after 3 s, counted from the last heartbeat heard, + guard probe + start) |
| standby's memory after $rounds handoffs, $rounds failbacks and a takeover | $((rss_after / 1024)) MiB |

The handoff time is mostly the check's \`fall\` (2 failures × 500 ms) plus the start action;
the takeover is \`dead_after\` plus the guard's probe of the master's service and the start.
The peer codec's own cost (encode, HMAC, decode and verify one datagram) is printed by
\`PeerCodecCostTests\` (see Docs/peer-protocol.md).
MD
)
echo "$report"
# Its own section replaced (or added); the other sections stay.
python3 "$root/Tests/Fixtures/bench_section.py" "$root/Docs/BENCHMARKS.md" "$report"
