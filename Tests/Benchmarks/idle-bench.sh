#!/bin/bash
# The cost of an idle pair, the agent's own: a loopback pair at 50 ms heartbeats, alpha
# (active) running an http check every 100 ms against a local 4 KiB page, beta (standby)
# none; after 25 s (the start over, its pages released), each agent's CPU (user and
# system, in % of one core), context switches per second across its threads, threads and
# RSS (anon + file) over SECONDS. With BEFORE=ANOTHER_BINARY (BEFORE_COMMIT= names it) the
# two binaries run in turns, ROUNDS times each, so that the machine's load falls on both
# alike; the table gives each figure's median. Writes "Idle cost of a pair" in
# Docs/BENCHMARKS.md. `make bench`.
#
#   Tests/Benchmarks/idle-bench.sh [VACATAIRE_BINARY] [SECONDS] [ROUNDS]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=$(realpath "${1:-$root/.build-bench/release/vacataire}")
seconds=${2:-20}
rounds=${3:-3}
out=$root/demo-out/idle
say() { echo "[idle] $*" >&2; }
die() { echo "[idle] $*" >&2; exit 1; }
[ -x "$vacataire" ] || die "no agent at $vacataire: build it first (bash Config/link/release-build.sh .build-bench)"
before=""
if [ -n "${BEFORE:-}" ]; then
    before=$(realpath "$BEFORE")
    [ -x "$before" ] || die "no binary at BEFORE=$BEFORE"
fi
rm -rf "$out"
mkdir -p "$out/page"
cd "$out"
openssl rand -hex 32 >peer.key
chmod 600 peer.key
head -c 4096 /dev/zero | tr '\0' 'x' >page/index.html

# Every process started is killed at the end whatever happens.
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
python3 -m http.server 18680 --bind 127.0.0.1 --directory page >/dev/null 2>&1 &
pids+=($!)

source "$root/Tests/Benchmarks/loopback-node.sh"
loopback_node master alpha beta 17611 17612 19611 http://127.0.0.1:18680/index.html 50ms >alpha.yaml
loopback_node standby beta alpha 17612 17611 19612 - 50ms >beta.yaml

# measure LABEL BINARY -> one JSON line: each node's cpu %, context switches/s, threads, RSS
measure() {
    bash "$root/Tests/Benchmarks/from-disk.sh" "$2"
    rm -rf state-alpha state-beta
    mkdir -p state-alpha state-beta
    "$2" run --config alpha.yaml >>"alpha-$1.log" 2>&1 &
    local alpha=$!
    pids+=($alpha)
    "$2" run --config beta.yaml >>"beta-$1.log" 2>&1 &
    local beta=$!
    pids+=($beta)
    sleep 25
    python3 - "$seconds" "$alpha" "$beta" <<'EOF'
import json, os, sys, time
seconds, alpha, beta = float(sys.argv[1]), sys.argv[2], sys.argv[3]
hz = os.sysconf("SC_CLK_TCK")
def sample(pid):
    with open("/proc/%s/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    switches = 0
    for task in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/status" % (pid, task)) as status:
                switches += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
        except OSError:
            pass  # a thread that ended meanwhile
    return int(fields[11]) + int(fields[12]), switches
def status(pid):
    with open("/proc/%s/status" % pid) as lines:
        values = dict(line.split(":", 1) for line in lines if ":" in line)
    kib = lambda key: int(values.get(key, "0 kB").split()[0])
    return {"rss": kib("VmRSS"), "anon": kib("RssAnon"), "file": kib("RssFile"), "threads": int(values["Threads"])}
first = {pid: sample(pid) for pid in (alpha, beta)}
began = time.monotonic()
time.sleep(seconds)
elapsed = time.monotonic() - began
result = {}
for name, pid in (("alpha", alpha), ("beta", beta)):
    ticks, switches = sample(pid)
    result[name] = dict(status(pid), cpu=100.0 * (ticks - first[pid][0]) / hz / elapsed,
                        switches=(switches - first[pid][1]) / elapsed)
print(json.dumps(result))
EOF
    kill "$alpha" "$beta" 2>/dev/null || true
    wait "$alpha" "$beta" 2>/dev/null || true
}

results=$out/results.txt
: >"$results"
for ((round = 1; round <= rounds; round++)); do
    if [ -n "$before" ]; then
        say "round $round of $rounds: before ($before)"
        echo "before $(measure before "$before")" >>"$results"
    fi
    say "round $round of $rounds: after ($vacataire)"
    echo "after $(measure after "$vacataire")" >>"$results"
done

table=$(python3 - "$results" "${BEFORE_COMMIT:-before}" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, data = line.split(" ", 1)
    runs.setdefault(label, []).append(json.loads(data))
labels = [label for label in ("before", "after") if label in runs]
def median(label, node, key):
    return statistics.median(run[node][key] for run in runs[label])
names = {"before": "before (%s)" % sys.argv[2], "after": "after"}
print("| binary | node | CPU % of one core | context switches / s | threads | RSS MiB (anon + file) |")
print("| --- | --- | --- | --- | --- | --- |")
for label in labels:
    for node, role in (("alpha", "alpha (active, 100 ms http check)"), ("beta", "beta (standby)")):
        print("| %s | %s | **%.2f** | %.0f | %.0f | %.1f (%.1f + %.1f) |" % (
            names[label], role, median(label, node, "cpu"), median(label, node, "switches"), median(label, node, "threads"),
            median(label, node, "rss") / 1024, median(label, node, "anon") / 1024, median(label, node, "file") / 1024))
EOF
)
echo "$table"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
section=$(cat <<MD
## Idle cost of a pair (idle-bench.sh)

Measured by \`make bench\` (Tests/Benchmarks/idle-bench.sh) on $(date -u +%Y-%m-%d), release
build of commit $commit: a loopback pair at 50 ms heartbeats both ways, alpha (active) with
an http check every 100 ms against a local 4 KiB page, beta (standby) with none; each
agent's CPU (user and system), context switches across its threads, threads and RSS over
$seconds s, 25 s after its start (the start's pages released). Median of $rounds runs per
binary, the binaries in turns so that the machine's load falls on both alike.
CPU time moves with the machine's load; the instruction counts below do not.

$table
MD
)
python3 "$root/Tests/Fixtures/bench_section.py" "$root/Docs/BENCHMARKS.md" "$section"
