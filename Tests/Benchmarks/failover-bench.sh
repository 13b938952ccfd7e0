#!/bin/bash
# Le Vacataire and keepalived side by side, in one run, on the same three network-namespace
# hosts. As root on Debian; `make bench` runs it with the release build.
#
#   Tests/Benchmarks/failover-bench.sh [VACATAIRE_BINARY]
#
# VACATAIRE_BINARY defaults to .build-bench/release/vacataire (what `make bench` builds:
# release, the Swift runtime linked in, as the Debian package ships it).
#
# Environment: ROUNDS (default 20) rounds per timed figure, IDLE_SECONDS (20) per idle
# measurement, STORM_CHECKS (100 http checks), STORM_EXEC_CHECKS (20 exec checks) and
# STORM_SECONDS (10) for the notification storms, SOAK_MINUTES (60) of incidents after the
# first pair's check failures and crashes (a check failure and a failback every SOAK_EVERY seconds, 60) before
# its footprint is measured again (0: no soak),
# PHASES (default: vacataire vacataire-fast keepalived-tuned keepalived-script1s
# keepalived-defaults storm-http storm-exec) to run only some (Docs/BENCHMARKS.md is then
# left alone; the report is printed; `link-order` records the functions an idle pair runs,
# for Config/link/regenerate-order.sh, ORDER_SECONDS long), KEEP=1 keeps the working directory (it is kept anyway
# when the run fails), VACATAIRE_BINARY_COMMIT names the commit the binary was built from
# when it is not the checkout's HEAD (the report prints it).
#
# Topology (documentation addresses only; every check, probe and service uses them, never
# loopback):
#
#   vb-lab    bridge vbbr0 198.51.100.254/24: SMTP sink (aiosmtpd) on :2525, snmptrapd on
#             udp :1162, the witness (a TCP listener) on :8099
#   vb-alpha  eth0 198.51.100.1/24 (veth to vbbr0): the master, its service on :8080
#   vb-beta   eth0 198.51.100.2/24 (veth to vbbr0): the standby, its service on :8080
#   VRRP's virtual address (keepalived only): 198.51.100.100/24
#
# The service is Tests/Fixtures/operator_lab/page_server.py: a 4096-byte page saying which
# node serves, cut to 1024 bytes (status 200) while RUN/NAME.truncate exists: "breaking
# the page". Both agents start and stop it with the same script, whose first line appends
# `date +%s.%N` to RUN/NAME.starts: the moment the start action begins.
#
# Phases, in order: vacataire with dead_after 500 ms (idle, check failure, crash);
# vacataire with the smallest dead_after the validator accepts with a witness (idle, crash);
# keepalived tuned (advert_int 0.1, a 100 ms check loop), keepalived with the smallest
# vrrp_script interval (1 s), keepalived defaults (each: idle, check failure, and crash
# where it differs); the notification storms (http checks, exec checks). About 12 minutes
# with the defaults. Then Tests/Fixtures/bench_report.py prints the tables and writes them
# at the top of Docs/BENCHMARKS.md (the loopback section of pair-bench.sh is kept below).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
default_binary=$root/.build-bench/release/vacataire
vacataire=$(realpath "${1:-$default_binary}")
ROUNDS=${ROUNDS:-20}
IDLE_SECONDS=${IDLE_SECONDS:-20}
STORM_CHECKS=${STORM_CHECKS:-100}
STORM_EXEC_CHECKS=${STORM_EXEC_CHECKS:-20}
STORM_SECONDS=${STORM_SECONDS:-10}
STORM_KINDS=${STORM_KINDS:-http exec}
SOAK_MINUTES=${SOAK_MINUTES:-60}
SOAK_EVERY=${SOAK_EVERY:-60}
PHASES=${PHASES:-vacataire vacataire-fast keepalived-tuned keepalived-script1s keepalived-defaults storm-http storm-exec}
python=/usr/bin/python3
fixtures=$root/Tests/Fixtures

lab=198.51.100.254
vip=198.51.100.100
declare -A address=([alpha]=198.51.100.1 [beta]=198.51.100.2)
declare -A peer=([alpha]=beta [beta]=alpha)

say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# --- prerequisites -------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, keepalived)"
[ -x "$vacataire" ] || die "no vacataire binary at $vacataire"
if ! command -v keepalived >/dev/null; then
    say "installing keepalived (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends keepalived >/dev/null
    # The package enables a system service that would read /etc/keepalived: never started here.
    systemctl disable --now keepalived >/dev/null 2>&1 || true
fi
for tool in ip curl sqlite3 setsid /usr/sbin/snmptrapd; do
    command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
done
$python -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd is missing (make deps installs it)"
[ "${BASH_VERSINFO[0]}" -ge 5 ] || die "bash 5 is needed (EPOCHREALTIME)"
base_mibs=${VACATAIRE_BASE_MIBS:-}
[ -n "$base_mibs" ] || for dir in "$root/../shared/mibs" /work/shared/mibs; do
    [ -f "$dir/SNMPv2-SMI.txt" ] && { base_mibs=$(cd "$dir" && pwd); break; }
done

work=$(mktemp -d /tmp/failover-bench.XXXXXX)
chmod 755 "$work"
# The run uses its own copy: a rebuild of the binary during the run must not mix two builds.
binary_source=$vacataire
cp -p "$binary_source" "$work/vacataire"
vacataire=$work/vacataire
# Each node's agent runs its own copy, as on two servers: pages of one file mapped by two
# processes are shared, and the release of the start's pages (StartupPages) unmaps only.
for node in alpha beta; do
    mkdir -p "$work/node-$node" && cp -p "$binary_source" "$work/node-$node/vacataire"
done
bash "$root/Tests/Benchmarks/from-disk.sh" "$work/node-alpha/vacataire" "$work/node-beta/vacataire"
run=$work/run        # services' pid files, logs, start stamps, break markers
bin=$work/bin        # the scripts the agents run
results=$work/results
mkdir -p "$run" "$bin" "$results"
status=failed

# --- cleanup: every process in the namespaces, the namespaces (the veths and the bridge
# go with them), on success and on failure ----------------------------------------------
namespaces=(vb-alpha vb-beta vb-lab)
teardown() {
    local ns pids
    for ns in "${namespaces[@]}"; do
        [ -e "/run/netns/$ns" ] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
    done
    sleep 0.5
    for ns in "${namespaces[@]}"; do
        [ -e "/run/netns/$ns" ] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
        ip netns delete "$ns" 2>/dev/null || true
    done
}
cleanup() {
    set +e
    trap - EXIT INT TERM
    teardown
    if [ "$status" = ok ] && [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$work"
    else
        say "working directory kept: $work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the three hosts -------------------------------------------------------------------
teardown   # namespaces left by an interrupted earlier run
say "building vb-lab, vb-alpha, vb-beta"
for ns in "${namespaces[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip -n vb-lab link add vbbr0 type bridge
ip -n vb-lab addr add "$lab/24" dev vbbr0
ip -n vb-lab link set vbbr0 up
for node in alpha beta; do
    ip -n vb-lab link add "vb-$node" type veth peer name eth0 netns "vb-$node"
    ip -n vb-lab link set "vb-$node" master vbbr0 up
    ip -n "vb-$node" addr add "${address[$node]}/24" dev eth0
    ip -n "vb-$node" link set eth0 up
    # The storm's http checks open 1,000 connections a second to one address and port, each
    # left in TIME_WAIT for 60 s: within half a minute the default ephemeral range (28,000
    # ports) is spent and every connect() searches it (kernel time in __inet_hash_connect
    # that starved the agent). As a server making that many connections would be set up:
    # the whole range, and TIME_WAIT ports reused for new outgoing connections.
    ip netns exec "vb-$node" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
done
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
for node in alpha beta; do
    for _ in $(seq 50); do in_ns "vb-$node" ping -c1 -W1 "$lab" >/dev/null 2>&1 && break; sleep 0.1; done
    in_ns "vb-$node" ping -c1 -W1 "$lab" >/dev/null || die "vb-$node cannot reach $lab"
done

# --- the lab's servers ---------------------------------------------------------------------
wait_line() {  # FILE TEXT SECONDS
    for _ in $(seq $(($3 * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
say "starting the SMTP sink, snmptrapd and the witness in vb-lab"
in_ns vb-lab $python "$fixtures/smtp_sink.py" --address "$lab" --port 2525 --dir "$work/smtp" --arrivals \
    >"$work/smtp.out" 2>&1 &
in_ns vb-lab $python "$fixtures/bench_trap_receiver.py" --listen "udp:$lab:1162" --dir "$work/traps" \
    ${base_mibs:+--mibs "$base_mibs:$root/Docs/mibs"} >"$work/traps.out" 2>&1 &
in_ns vb-lab $python -c '
import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((sys.argv[1], 8099))
listener.listen(128)
while True:
    connection, _ = listener.accept()
    connection.close()
' "$lab" >"$work/witness.out" 2>&1 &
wait_line "$work/smtp.out" READY 10 || die "the SMTP sink did not start: $(cat "$work/smtp.out")"
wait_line "$work/traps.out" READY 10 || die "snmptrapd did not start: $(cat "$work/traps.out")"

# --- the scripts both agents run -------------------------------------------------------------
# service.sh start NAME ADDRESS | stop NAME: the service. `start` first stamps RUN/NAME.starts,
# then starts page_server.py and returns once it accepts connections on ADDRESS:8080; its pid
# file appears only then (a keepalived check reads "no pid file" as "off by design"). `stop`
# returns once it is gone.
cat >"$bin/service.sh" <<EOF
#!/bin/bash
[ "\$1" = start ] && echo "\$(date +%s.%N) \${VACATAIRE_EVENT:--} \${VACATAIRE_ROLE:--} \${VACATAIRE_EPOCH:--}" >>"$run/\$2.starts"
set -u
name=\$2
pidfile="$run/\$name.pid"
alive() { local state; read -r _ _ state _ 2>/dev/null <"/proc/\$1/stat" || return 1; [ "\$state" != Z ]; }
case "\$1" in
start)
    if [ -f "\$pidfile" ] && alive "\$(cat "\$pidfile")"; then exit 0; fi
    setsid $python "$fixtures/operator_lab/page_server.py" "\$name" 8080 "$run" \\
        >>"$run/\$name.service.log" 2>&1 </dev/null &
    echo \$! >"\$pidfile.starting"
    for _ in \$(seq 300); do
        if (exec 3<>"/dev/tcp/\$3/8080") 2>/dev/null; then mv "\$pidfile.starting" "\$pidfile"; exit 0; fi
        sleep 0.01
    done
    echo "the service of \$name did not answer on port 8080" >&2
    exit 1
    ;;
stop)
    # The pid file goes first: from then on a keepalived check reads "off by design".
    for file in "\$pidfile" "\$pidfile.starting"; do
        [ -f "\$file" ] || continue
        mv "\$file" "\$pidfile.stopping"
        pid=\$(cat "\$pidfile.stopping")
        kill "\$pid" 2>/dev/null || true
        for _ in \$(seq 100); do alive "\$pid" || break; sleep 0.005; done
        if alive "\$pid"; then kill -9 "\$pid" 2>/dev/null || true; fi
        rm -f "\$pidfile.stopping"
    done
    ;;
esac
EOF

# check.sh NAME ADDRESS: keepalived's http check, the same as the agent's: the page answers 200 with
# exactly 4096 bytes within 100 ms. With the service off by design (no pid file: backup or
# fault state) there is nothing to judge and it passes, as the agent's service-scope check
# is idle on a standby.
cat >"$bin/check.sh" <<EOF
#!/bin/bash
[ -f "$run/\$1.pid" ] || exit 0
[ "\$(curl -s -o /dev/null -m 0.1 -w '%{http_code} %{size_download}' "http://\$2:8080/")" = "200 4096" ]
EOF
# checkloop.sh NAME ADDRESS FILE: the tuned keepalived's check. keepalived 2.2.7 refuses a
# vrrp_script interval below 1 s, so a loop runs check.sh every 100 ms (start to start) with
# fall 2 / rise 2 and writes 0 (ok) or 1 (fault) to FILE, a keepalived track_file.
cat >"$bin/checkloop.sh" <<EOF
#!/bin/bash
state=0; fails=0; passes=0
printf 0 >"\$3"
next=\${EPOCHREALTIME/./}
while :; do
    if "$bin/check.sh" "\$1" "\$2"; then
        passes=\$((passes + 1)); fails=0
        if [ \$state = 1 ] && [ \$passes -ge 2 ]; then state=0; printf 0 >"\$3"; fi
    else
        fails=\$((fails + 1)); passes=0
        if [ \$state = 0 ] && [ \$fails -ge 2 ]; then state=1; printf 1 >"\$3"; fi
    fi
    next=\$((next + 100000))
    left=\$((next - \${EPOCHREALTIME/./}))
    if [ \$left -gt 0 ]; then sleep "\$(printf '0.%06d' \$left)"; else next=\${EPOCHREALTIME/./}; fi
done
EOF
# kastate.sh NAME: keepalived's generic notify script; records the instance's state.
cat >"$bin/kastate.sh" <<EOF
#!/bin/bash
echo "\$4" >"$run/\$1.kastate"
echo "\$(date +%s.%N) \$4" >>"$run/\$1.kastates"
EOF
# flip.sh N: storm check N (warning). OK while RUN/storm/on is absent; while it exists,
# CRITICAL and OK in turn, one change per run. Every run appends its status to RUN/storm/N.log.
mkdir -p "$run/storm"
cat >"$bin/flip.sh" <<EOF
#!/bin/sh
d=$run/storm
if [ -e "\$d/on" ]; then
    n=0; read n 2>/dev/null <"\$d/\$1.count"
    n=\$((n + 1)); echo \$n >"\$d/\$1.count"
    if [ \$((n % 2)) = 1 ]; then echo 2 >>"\$d/\$1.log"; echo "CRITICAL - flip \$n"; exit 2; fi
fi
echo 0 >>"\$d/\$1.log"; echo "OK - steady"; exit 0
EOF
chmod 755 "$bin"/*.sh

# --- helpers ---------------------------------------------------------------------------------
stamps() { local lines=(); [ -f "$run/$1.starts" ] && mapfile -t lines <"$run/$1.starts"; echo "${#lines[@]}"; }
# wait_start NODE COUNT SECONDS: the time of NODE's start number COUNT+1, once it is there.
wait_start() {
    local lines=() i
    for ((i = 0; i < $3 * 100; i++)); do
        [ -f "$run/$1.starts" ] && mapfile -t lines <"$run/$1.starts"
        if [ "${#lines[@]}" -gt "$2" ]; then echo "${lines[$2]%% *}"; return 0; fi
        sleep 0.01
    done
    return 1
}
# wait_gone PID: until the process (started in the background and disowned) has exited.
wait_gone() { local i; for ((i = 0; i < 1000; i++)); do [ -e "/proc/$1" ] || return 0; sleep 0.01; done; return 1; }
sub() { $python -c 'import sys; print("%.6f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$1" "$2"; }
service_pid() { cat "$run/$1.pid" 2>/dev/null || cat "$run/$1.pid.starting" 2>/dev/null || true; }
# pause: a random 0-999 ms before each cause, so that it falls anywhere in the daemons'
# check and advertisement cycles (the rounds would otherwise keep step with them).
pause() { sleep "0.$(printf '%03d' $((RANDOM % 1000)))"; }
ticks() { local f; read -r -a f <"/proc/$1/stat"; echo $((f[13] + f[14] + f[15] + f[16])); }
# machine_ticks: "BUSY TOTAL BENCH" jiffies: busy and all of every core (/proc/stat), and the
# CPU of every process in the three namespaces (own + reaped children), that is the benchmark.
# machine_busy BEFORE: "BUSY% OUTSIDE%" since then, in percent of all cores: everything, and
# what ran outside the namespaces (another build, say; short-lived processes included).
machine_ticks() {
    $python - <<'PY'
import os
with open("/proc/stat") as stat:
    c = [int(x) for x in stat.readline().split()[1:9]]
busy, total = c[0] + c[1] + c[2] + c[5] + c[6] + c[7], sum(c)
namespaces = set()
for name in ("vb-alpha", "vb-beta", "vb-lab"):
    try:
        namespaces.add(os.stat("/run/netns/" + name).st_ino)
    except OSError:
        pass
bench = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        if os.stat("/proc/%s/ns/net" % pid).st_ino not in namespaces:
            continue
        with open("/proc/%s/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        bench += sum(int(x) for x in fields[11:15])
    except (OSError, ValueError, IndexError):
        pass
print(busy, total, bench)
PY
}
machine_busy() {
    local before=($1) now
    read -r -a now <<<"$(machine_ticks)"
    $python -c 'import sys; b, t, n = (float(x) for x in sys.argv[1:]); print("%.1f %.1f" % (100 * b / t, 100 * max(0.0, b - n) / t) if t else "0 0")' \
        "$((now[0] - before[0]))" "$((now[1] - before[1]))" "$((now[2] - before[2]))"
}
stop_services() { for node in alpha beta; do in_ns "vb-$node" "$bin/service.sh" stop "$node"; done; rm -f "$run"/*.truncate; }

# idle LABEL PIDS_ALPHA PIDS_BETA [EXTRA_ALPHA EXTRA_BETA]: RSS and CPU of each node's
# daemon processes over IDLE_SECONDS (utime+stime and, for children reaped meanwhile,
# cutime+cstime, from /proc/PID/stat); EXTRA pids (a check loop) are measured apart too.
idle() {
    sleep 3   # the start's notifications and first check runs are over
    say "$1: idle for $IDLE_SECONDS s"
    local busy
    busy=$(machine_ticks)
    $python - "$results/idle_$1.json" "$IDLE_SECONDS" "$2" "$3" "${4:-}" "${5:-}" <<'PY'
import json, os, sys, time
out, seconds = sys.argv[1], float(sys.argv[2])
groups = {"alpha": sys.argv[3].split(), "beta": sys.argv[4].split(),
          "alpha_extra": sys.argv[5].split(), "beta_extra": sys.argv[6].split()}
hz = os.sysconf("SC_CLK_TCK")
def ticks(pid):
    with open("/proc/%s/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime 14, stime 15, cutime 16, cstime 17
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
def status(pid):
    with open("/proc/%s/status" % pid) as lines:
        values = dict(line.split(":", 1) for line in lines if ":" in line)
    kib = lambda key: int(values.get(key, "0 kB").split()[0])
    return {"rss": kib("VmRSS"), "anon": kib("RssAnon"), "file": kib("RssFile"), "threads": int(values["Threads"])}
def everyone():
    found = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/comm" % pid) as comm:
                    found[pid] = (comm.read().strip(), sum(ticks(pid)))
            except (OSError, ValueError, IndexError):
                pass
    return found
all_before = everyone()
before = {name: {pid: ticks(pid) for pid in pids} for name, pids in groups.items()}
began = time.monotonic()
rss_samples = {name: [] for name in groups}
while time.monotonic() - began < seconds:
    time.sleep(max(0.0, min(1.0, seconds - (time.monotonic() - began))))
    for name, pids in groups.items():
        rss_samples[name].append(sum(status(pid)["rss"] for pid in pids))
elapsed = time.monotonic() - began
after = {name: {pid: ticks(pid) for pid in pids} for name, pids in groups.items()}
all_after = everyone()
# Who else used the CPU meanwhile (processes alive at both ends; a build's short-lived
# compilers show only in the machine's busy figure).
others = sorted(((all_after[p][1] - all_before[p][1], all_after[p][0], p) for p in all_after if p in all_before),
                reverse=True)[:4]
result = {"seconds": elapsed,
          "top": [{"comm": c, "pid": p, "cpu_percent": 100.0 * d / hz / elapsed} for d, c, p in others if d > 0]}
for name, pids in groups.items():
    if not pids:
        continue
    own = sum(after[name][pid][0] - before[name][pid][0] for pid in pids)
    children = sum(after[name][pid][1] - before[name][pid][1] for pid in pids)
    statuses = [status(pid) for pid in pids]
    result[name] = {
        "processes": len(pids),
        "threads": sum(s["threads"] for s in statuses),
        "rss_kib": sum(s["rss"] for s in statuses),
        "rss_kib_mean": sum(rss_samples[name]) / len(rss_samples[name]),
        "rss_anon_kib": sum(s["anon"] for s in statuses),
        "rss_file_kib": sum(s["file"] for s in statuses),
        "cpu_percent": 100.0 * own / hz / elapsed,
        "cpu_children_percent": 100.0 * children / hz / elapsed,
    }
with open(out, "w") as handle:
    json.dump(result, handle, indent=1)
print(json.dumps(result))
PY
    $python -c 'import json, sys; d = json.load(open(sys.argv[1])); d["machine_busy"], d["outside"] = (float(x) for x in sys.argv[2].split()); json.dump(d, open(sys.argv[1], "w"), indent=1)' \
        "$results/idle_$1.json" "$(machine_busy "$busy")"
}

# --- vacataire -----------------------------------------------------------------------------
declare -A agent=()
vdir=""
# vac_config NODE PROFILE: dead_after, self_fence_after and stop timeout by profile;
# `storm-http` and `storm-exec` add the storm's checks on alpha and a 10 s flapping window.
vac_config() {
    local node=$1 profile=$2 role=master dead=500ms fence=200ms stop=250ms
    [ "$node" = beta ] && role=standby
    if [ "$profile" = fast ]; then dead=$fast_dead; fence=125ms; stop=100ms; fi
    cat <<EOF
# failover-bench.sh, profile $profile
node: {name: $node, cluster: bench}
state_dir: state
control: {socket: state/control.sock}
http: {address: ${address[$node]}, port: 9411}

notify:
  email:
    - name: oncall
      url: smtp://$lab:2525
      from: vacataire-$node@example.org
      to: [oncall@example.org]
      starttls: "off"
      timeout: 5s
      connect_timeout: 2s
  snmp:
    - name: nms
      address: $lab
      port: 1162
      version: 2c
      community: public

outbox:
  retry_initial: 1s
  retry_max: 2s
EOF
    if [[ "$profile" == storm-* ]]; then
        printf '\nrate_limit:\n  flapping: {window: 10s}\n'
    fi
    cat <<EOF

checks:
  - name: page
    kind: http
    url: http://${address[$node]}:8080/
    expect_status: 200
    expect_bytes: 4096
    interval: 100ms
    timeout: 100ms
    rise: 2
    fall: 2
EOF
    if [ "$profile" = storm-exec ] && [ "$node" = alpha ]; then
        for ((i = 0; i < STORM_EXEC_CHECKS; i++)); do
            printf '  - {name: storm-%03d, kind: exec, command: [%s, "%03d"], interval: 100ms, timeout: 100ms, rise: 1, fall: 1, severity: warning}\n' \
                "$i" "$bin/flip.sh" "$i"
        done
    fi
    if [ "$profile" = storm-http ] && [ "$node" = alpha ]; then
        for ((i = 0; i < STORM_CHECKS; i++)); do
            printf '  - {name: storm-%03d, kind: http, url: "http://%s:8081/%03d", interval: 100ms, timeout: 100ms, rise: 1, fall: 1, severity: warning}\n' \
                "$i" "${address[alpha]}" "$i"
        done
    fi
    cat <<EOF

failover:
  role: $role
  peer: {name: ${peer[$node]}, addresses: ["${address[${peer[$node]}]}:7411"]}
  listen: {address: ${address[$node]}, port: 7411}
  keys: [{id: 1, file: peer.key}]
  heartbeat_interval: 50ms
  dead_after: $dead
  self_fence_after: $fence
  handoff_timeout: 1s
  handoff_retries: 2
  drain: 100ms
  actions:
    start: {command: "$bin/service.sh start $node ${address[$node]}", timeout: 2s}
    stop: {command: "$bin/service.sh stop $node", timeout: $stop}
  witness: tcp://$lab:8099
  service_probe: http://${address[${peer[$node]}]}:8080/
EOF
}
vac_state() {
    "$vacataire" status --json --socket "$vdir/$1/state/control.sock" 2>/dev/null \
        | $python -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || echo none
}
wait_vac_state() {  # NODE STATE SECONDS
    for _ in $(seq $(($3 * 20))); do [ "$(vac_state "$1")" = "$2" ] && return 0; sleep 0.05; done
    die "vacataire $1 did not reach $2 within $3 s (it is $(vac_state "$1")); see $vdir/$1/agent.log"
}
vac_run() {  # NODE: starts (or restarts) the agent of NODE in its namespace
    (cd "$vdir/$1" && exec ip netns exec "vb-$1" "$work/node-$1/vacataire" run --config "$vdir/$1/vacataire.yaml" >>agent.log 2>&1) &
    agent[$1]=$!
    disown "$!"   # killed with SIGKILL on purpose: no "Killed" notice from bash
}
vac_start() {  # PROFILE
    vdir=$work/vacataire-$1
    mkdir -p "$vdir"
    openssl rand -hex 32 >"$vdir/peer.key"
    for node in alpha beta; do
        mkdir -p "$vdir/$node"
        install -m 600 "$vdir/peer.key" "$vdir/$node/peer.key"
        vac_config "$node" "$1" >"$vdir/$node/vacataire.yaml"
        "$vacataire" check-config "$vdir/$node/vacataire.yaml" >"$vdir/$node/check-config.out" 2>&1 \
            || die "check-config refused $vdir/$node/vacataire.yaml: $(cat "$vdir/$node/check-config.out")"
    done
    vac_run alpha
    vac_run beta
    wait_vac_state alpha active 20
    wait_vac_state beta standby 20
}
vac_stop() {
    kill -TERM "${agent[alpha]}" "${agent[beta]}" 2>/dev/null || true
    wait_gone "${agent[alpha]}"
    wait_gone "${agent[beta]}"
    stop_services
}
record() { local file=$1; shift; echo "$*" >>"$results/$file.txt"; }
phase() { [[ " $PHASES " == *" $1 "* ]]; }

# One event of NODE's history after the event AFTER_ID that matches CONDITION (SQL): the
# newest (DESC) or the first (ASC), as "id time", its time in seconds since the epoch (the
# history's times are UTC with milliseconds).
history_event() {  # NODE AFTER_ID CONDITION DESC|ASC
    sqlite3 -readonly "$vdir/$1/state/vacataire.sqlite" \
        "SELECT id, printf('%.3f', (julianday(time) - 2440587.5) * 86400.0) FROM events WHERE id > $2 AND ($3) ORDER BY id $4 LIMIT 1" \
        2>/dev/null | tr '|' ' '
}
check_failed="category = 'check' AND reason LIKE 'check % healthy -> failing%'"
# Check failure: break alpha's page; beta's start begins; repair, fail back. Each round is
# also split at the check's state change in alpha's history (detection before, the agents'
# own work after), and that work at beta's change of state in its history (the handoff
# before; the start after: the spawn of the start script, bash's own start and `date`).
# After alpha's page broke and beta took over: repairs the page, fails back with `vacataire
# failback` and waits for the pair to be as it was; prints the stamp of alpha's start.
vac_repair_and_failback() {  # LABEL WHEN
    local before t1
    wait_vac_state beta active 10
    wait_vac_state alpha failed 10
    rm -f "$run/alpha.truncate"
    before=$(stamps alpha)
    "$vacataire" failback --socket "$vdir/alpha/state/control.sock" >>"$vdir/admin.log" 2>&1 \
        || die "$1: failback refused ($2): $(tail -2 "$vdir/admin.log")"
    t1=$(wait_start alpha "$before" 10) || die "$1: alpha never started for the failback ($2)"
    wait_vac_state alpha active 10
    wait_vac_state beta standby 10
    echo "$t1"
}
vac_check_rounds() {  # LABEL
    say "$1: $ROUNDS check failures"
    for ((round = 1; round <= ROUNDS; round++)); do
        local before t0 t1 last last_beta changed taken
        pause
        before=$(stamps beta)
        read -r last _ <<<"$(history_event alpha 0 1 DESC)"
        read -r last_beta _ <<<"$(history_event beta 0 1 DESC)"
        t0=$EPOCHREALTIME; : >"$run/alpha.truncate"
        t1=$(wait_start beta "$before" 10) || die "$1: beta never started (round $round)"
        record "fig1_$1" "$(sub "$t1" "$t0")"
        changed=
        for _ in $(seq 100); do
            read -r _ changed <<<"$(history_event alpha "${last:-0}" "$check_failed" DESC)"
            [ -z "$changed" ] || break
            sleep 0.01
        done
        [ -n "$changed" ] || die "$1: alpha's history has no check going from healthy to failing (round $round)"
        record "fig1_detection_$1" "$(sub "$changed" "$t0")"
        record "fig1_overhead_$1" "$(sub "$t1" "$changed")"
        read -r _ taken <<<"$(history_event beta "${last_beta:-0}" "category = 'transition'" ASC)"
        if [ -n "$taken" ]; then
            record "fig1_handoff_$1" "$(sub "$taken" "$changed")"
            record "fig1_startscript_$1" "$(sub "$t1" "$taken")"
        fi
        record rolechanges "$1 beta $t1 failover"
        t1=$(vac_repair_and_failback "$1" "round $round")
        record rolechanges "$1 alpha $t1 failback"
    done
}
# Crash: kill -9 alpha's agent and service together; beta's start begins. Then alpha's agent
# is restarted (it comes back failed, or standby) and `vacataire failback` (or `switchover`)
# gives alpha the service again, so that every round is the master crashing.
vac_crash_rounds() {  # LABEL
    say "$1: $ROUNDS crashes"
    for ((round = 1; round <= ROUNDS; round++)); do
        local before t0 t1 service state command
        pause
        before=$(stamps beta)
        service=$(service_pid alpha)
        [ -n "$service" ] || die "$1: no service pid on alpha (round $round)"
        t0=$EPOCHREALTIME; kill -9 "${agent[alpha]}" "$service"
        t1=$(wait_start beta "$before" 15) || die "$1: beta never took over (round $round)"
        record "fig2_$1" "$(sub "$t1" "$t0")"
        record "fig2_$1_times" "$t0 $t1"
        record rolechanges "$1 beta $t1 takeover"
        wait_gone "${agent[alpha]}"
        wait_vac_state beta active 10
        vac_run alpha
        for _ in $(seq 400); do
            state=$(vac_state alpha)
            [ "$state" = failed ] || [ "$state" = standby ] && break
            sleep 0.05
        done
        record "restart_$1" "$state"
        command=failback
        [ "$state" = standby ] && command=switchover
        before=$(stamps alpha)
        "$vacataire" "$command" --socket "$vdir/alpha/state/control.sock" >>"$vdir/admin.log" 2>&1 \
            || die "$1: $command refused (round $round, alpha $state): $(tail -2 "$vdir/admin.log")"
        t1=$(wait_start alpha "$before" 10) || die "$1: alpha never started for the $command (round $round)"
        record rolechanges "$1 alpha $t1 $command"
        wait_vac_state alpha active 10
        wait_vac_state beta standby 10
    done
}

# The footprint after a long life with incidents: for SOAK_MINUTES, alpha's page breaks (one
# check-failure incident, beta takes over) and `vacataire failback` gives alpha the service
# again, every SOAK_EVERY seconds. The count is kept for the report.
vac_soak() {  # LABEL
    say "$1: $SOAK_MINUTES minutes with a check failure and a failback every $SOAK_EVERY s"
    local end=$((SECONDS + SOAK_MINUTES * 60)) incidents=0 before
    while ((SECONDS < end)); do
        before=$(stamps beta)
        : >"$run/alpha.truncate"
        wait_start beta "$before" 10 >/dev/null || die "$1: beta never started (soak incident $((incidents + 1)))"
        vac_repair_and_failback "$1" "soak incident $((incidents + 1))" >/dev/null
        incidents=$((incidents + 1))
        sleep "$SOAK_EVERY"
    done
    echo "$SOAK_MINUTES $incidents" >"$results/soak_$1.txt"
}

# --- keepalived ---------------------------------------------------------------------------------
kdir=""
declare -A ka=() loop=()
ka_config() {  # NODE PROFILE
    local node=$1 profile=$2 priority=150 advert=0.1 state=MASTER
    [ "$node" = beta ] && { priority=100; state=BACKUP; }
    [ "$profile" = defaults ] && advert=1
    cat <<EOF
# failover-bench.sh, keepalived profile $profile
global_defs {
    router_id $node
    vrrp_version 3
    script_user root
    enable_script_security
}
EOF
    case $profile in
    tuned)
        cat <<EOF
track_file page_$node {
    file "$kdir/$node.track"
    weight 0
    init_file 0 overwrite
}
EOF
        ;;
    script1s)
        cat <<EOF
vrrp_script page_$node {
    script "$bin/check.sh $node ${address[$node]}"
    interval 1
    timeout 1
    fall 2
    rise 2
}
EOF
        ;;
    defaults)
        cat <<EOF
vrrp_script page_$node {
    script "$bin/check.sh $node ${address[$node]}"
}
EOF
        ;;
    esac
    cat <<EOF
vrrp_instance bench {
    state $state
    interface eth0
    virtual_router_id 51
    priority $priority
    advert_int $advert
    unicast_src_ip ${address[$node]}
    unicast_peer {
        ${address[${peer[$node]}]}
    }
    virtual_ipaddress {
        $vip/24 dev eth0
    }
EOF
    if [ "$profile" = tuned ]; then
        printf '    track_file {\n        page_%s\n    }\n' "$node"
    else
        printf '    track_script {\n        page_%s\n    }\n' "$node"
    fi
    cat <<EOF
    notify_master "$bin/service.sh start $node ${address[$node]}"
    notify_backup "$bin/service.sh stop $node"
    notify_fault "$bin/service.sh stop $node"
    notify "$bin/kastate.sh $node"
}
EOF
}
ka_pids() {  # NODE: the keepalived processes in NODE's namespace
    local pid comm
    for pid in $(ip netns pids "vb-$1"); do
        read -r comm 2>/dev/null <"/proc/$pid/comm" || continue
        [ "$comm" = keepalived ] && echo "$pid"
    done
    return 0
}
ka_parents() {  # NODE: the keepalived processes whose parent is not a keepalived
    local pid ppid all
    all=" $(ka_pids "$1" | tr '\n' ' ') "
    for pid in $all; do
        ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [[ "$all" == *" $ppid "* ]] || echo "$pid"
    done
}
ka_state() { cat "$run/$1.kastate" 2>/dev/null || echo none; }
wait_ka_state() {  # NODE STATE SECONDS
    for _ in $(seq $(($3 * 50))); do [ "$(ka_state "$1")" = "$2" ] && return 0; sleep 0.02; done
    die "keepalived on $1 did not reach $2 within $3 s (it is $(ka_state "$1")); see $kdir/$1.log"
}
ka_history() { local lines=(); [ -f "$run/$1.kastates" ] && mapfile -t lines <"$run/$1.kastates"; echo "${#lines[@]}"; }
wait_ka_after() {  # NODE LINES_BEFORE VIA STATE SECONDS: VIA after line LINES_BEFORE, and STATE now
    local lines=() i
    for ((i = 0; i < $5 * 50; i++)); do
        mapfile -t lines <"$run/$1.kastates"
        if [ "$(ka_state "$1")" = "$4" ] && printf '%s\n' "${lines[@]:$2}" | grep -q " $3\$"; then return 0; fi
        sleep 0.02
    done
    die "keepalived on $1 did not go $3 then $4 within $5 s (it is $(ka_state "$1")); see $kdir/$1.log"
}
ka_run() {  # NODE PROFILE
    local node=$1
    rm -f "$run/$node.kastate"
    if [ "$2" = tuned ]; then
        ip netns exec "vb-$node" "$bin/checkloop.sh" "$node" "${address[$node]}" "$kdir/$node.track" >>"$kdir/$node.loop.log" 2>&1 &
        loop[$node]=$!
        disown "$!"
    fi
    ip netns exec "vb-$node" keepalived --dont-fork --log-console --log-detail --vrrp --no-syslog \
        --use-file "$kdir/$node.conf" --pid "$kdir/$node.pid" --vrrp_pid "$kdir/$node.vrrp.pid" \
        --checkers_pid "$kdir/$node.checkers.pid" >>"$kdir/$node.log" 2>&1 &
    ka[$node]=$!
    disown "$!"
}
ka_start() {  # PROFILE
    kdir=$work/keepalived-$1
    mkdir -p "$kdir"
    for node in alpha beta; do
        ka_config "$node" "$1" >"$kdir/$node.conf"
        keepalived --config-test --use-file "$kdir/$node.conf" --log-console >"$kdir/$node.config-test" 2>&1 \
            || die "keepalived refused $kdir/$node.conf: $(cat "$kdir/$node.config-test")"
        if grep -qi "ignoring\|invalid\|unknown\|must be" "$kdir/$node.config-test"; then
            die "keepalived ignored part of $kdir/$node.conf: $(cat "$kdir/$node.config-test")"
        fi
    done
    ka_run alpha "$1"
    ka_run beta "$1"
    wait_ka_state alpha MASTER 20
    wait_ka_state beta BACKUP 20
    sleep 1
}
ka_stop() {
    local node
    for node in alpha beta; do
        kill -TERM "${ka[$node]}" 2>/dev/null || true
        [ -z "${loop[$node]:-}" ] || kill -TERM "${loop[$node]}" 2>/dev/null || true
    done
    for node in alpha beta; do
        wait_gone "${ka[$node]}"
        [ -z "${loop[$node]:-}" ] || wait_gone "${loop[$node]}"
        loop[$node]=""
    done
    stop_services
}
# Check failure: break alpha's page; beta's start begins; repair. alpha's instance goes
# FAULT (its service stopped), its check passes again (service off), and it preempts beta
# (keepalived's default): alpha serves again, as after vacataire's failback.
ka_check_rounds() {  # LABEL
    say "$1: $ROUNDS check failures"
    for ((round = 1; round <= ROUNDS; round++)); do
        local before t0 t1 states
        pause
        before=$(stamps beta)
        states=$(ka_history alpha)
        t0=$EPOCHREALTIME; : >"$run/alpha.truncate"
        t1=$(wait_start beta "$before" 15) || die "$1: beta never started (round $round)"
        rm -f "$run/alpha.truncate"
        record "fig1_$1" "$(sub "$t1" "$t0")"
        wait_ka_after alpha "$states" FAULT MASTER 20
        wait_ka_state beta BACKUP 10
        sleep 0.3
    done
}
# Crash: kill -9 alpha's keepalived processes (and its check loop) and its service; beta's
# start begins; restart alpha's keepalived, which preempts beta.
ka_crash_rounds() {  # LABEL PROFILE
    say "$1: $ROUNDS crashes"
    for ((round = 1; round <= ROUNDS; round++)); do
        local before t0 t1 service victims
        pause
        wait_ka_state beta BACKUP 10   # still backup (not FAULT) after the pause
        before=$(stamps beta)
        service=$(service_pid alpha)
        [ -n "$service" ] || die "$1: no service pid on alpha (round $round)"
        parents=$(ka_parents alpha)
        children=$(ka_pids alpha | grep -vxF "$parents")
        # A crash, not a shutdown: the parent is stopped first (it cannot respawn its VRRP
        # child), the child is killed before the parent (a parent's death would send the
        # child SIGTERM, and it would leave gracefully with a priority-0 advert).
        # shellcheck disable=SC2086
        t0=$EPOCHREALTIME; kill -STOP $parents; kill -9 $children; kill -9 $parents ${loop[alpha]:-} "$service"
        t1=$(wait_start beta "$before" 15) || die "$1: beta never took over (round $round)"
        record "fig2_$1" "$(sub "$t1" "$t0")"
        record "fig2_$1_times" "$t0 $t1"
        wait_gone "${ka[alpha]}"
        [ -z "${loop[alpha]:-}" ] || wait_gone "${loop[alpha]}"
        wait_ka_state beta MASTER 10
        # A killed keepalived leaves its virtual address, pid files and state behind.
        ip -n vb-alpha addr del "$vip/24" dev eth0 2>/dev/null || true
        rm -f "$kdir/alpha.pid" "$kdir/alpha.vrrp.pid" "$run/alpha.pid"
        ka_run alpha "$2"
        wait_ka_state alpha MASTER 20
        wait_ka_state beta BACKUP 10
        sleep 0.3
    done
}

# --- the phases -------------------------------------------------------------------------------
: >"$results/rolechanges.txt"
start_time=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
head_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')
run_busy=$(machine_ticks)
cp /proc/loadavg "$results/loadavg_start.txt"
read -r load1 _ </proc/loadavg
if $python -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 * float(sys.argv[2]) else 1)' "$load1" "$(nproc)"; then
    say "WARNING: the machine is busy (load average $load1 on $(nproc) cores): the figures will show it"
fi

# 0. Not a figure, and not run by default: the functions the idle pair runs, for the linker's
# symbol ordering (Config/link/regenerate-order.sh runs this phase alone).
if phase link-order; then
    say "link order: the pair idle for ${ORDER_SECONDS:-30} s, each agent's text paged out every 0.5 s"
    vac_start standard
    for node in alpha beta; do
        wait_line "$vdir/$node/agent.log" "released the pages" 20 || die "vacataire $node did not release its start's pages"
    done
    $python "$fixtures/link_order.py" record --seconds "${ORDER_SECONDS:-30}" --out "$results/link-order.txt" \
        "${agent[alpha]}" "${agent[beta]}"
    vac_stop
fi

# 1. vacataire, dead_after 500 ms.
if phase vacataire; then
    say "vacataire (dead_after 500 ms): starting the pair"
    vac_start standard
    idle vacataire "${agent[alpha]}" "${agent[beta]}"
    vac_check_rounds vacataire
    vac_crash_rounds vacataire
    if ((SOAK_MINUTES > 0)); then
        vac_soak vacataire
        idle vacataire_soak "${agent[alpha]}" "${agent[beta]}"
    fi
    vac_stop
    for node in alpha beta; do cp "$vdir/$node/agent.log" "$results/agent_standard_$node.log"; done
fi

# 2. vacataire, the smallest dead_after accepted with a witness at 50 ms heartbeats, with the
# smallest self_fence_after (125 ms) and stop timeout (100 ms).
if phase vacataire-fast; then
    fast_dead=""
    probe=$work/probe
    mkdir -p "$probe"
    openssl rand -hex 32 >"$probe/peer.key"
    chmod 600 "$probe/peer.key"
    for ms in 113 150 175 200 225 226 230 250 300; do
        fast_dead=${ms}ms
        vac_config alpha fast >"$probe/alpha.yaml"
        if "$vacataire" check-config "$probe/alpha.yaml" >"$probe/$ms.out" 2>&1; then break; fi
        fast_dead=""
    done
    [ -n "$fast_dead" ] || die "no dead_after up to 300ms accepted: $(cat "$probe/300.out")"
    for ms in 113 150 200; do
        [ -f "$probe/$ms.out" ] && sed "s|^|dead_after ${ms}ms: |" "$probe/$ms.out" | head -3 >>"$results/fast_refusals.txt"
    done
    echo "$fast_dead" >"$results/fast_dead.txt"
    say "vacataire (dead_after $fast_dead, the smallest accepted): starting the pair"
    vac_start fast
    idle vacataire_fast "${agent[alpha]}" "${agent[beta]}"
    vac_crash_rounds vacataire_fast
    vac_stop
    for node in alpha beta; do cp "$vdir/$node/agent.log" "$results/agent_fast_$node.log"; done
fi

# 3. keepalived: tuned (advert 0.1 s, 100 ms check loop), tuned with the smallest vrrp_script
# interval (1 s), defaults.
keepalived --version >"$results/keepalived_version.txt" 2>&1 || true
if phase keepalived-tuned; then
    say "keepalived tuned ($(head -1 "$results/keepalived_version.txt")): starting"
    ka_start tuned
    idle keepalived_tuned "$(ka_pids alpha)" "$(ka_pids beta)" "${loop[alpha]}" "${loop[beta]}"
    ka_check_rounds keepalived_tuned
    ka_crash_rounds keepalived_tuned tuned
    ka_stop
fi
if phase keepalived-script1s; then
    say "keepalived with a 1 s vrrp_script: starting"
    ka_start script1s
    idle keepalived_script1s "$(ka_pids alpha)" "$(ka_pids beta)"
    ka_check_rounds keepalived_script1s
    ka_stop
fi
if phase keepalived-defaults; then
    say "keepalived defaults: starting"
    ka_start defaults
    idle keepalived_defaults "$(ka_pids alpha)" "$(ka_pids beta)"
    ka_check_rounds keepalived_defaults
    ka_crash_rounds keepalived_defaults defaults
    ka_stop
fi

# 4. The notification storm (vacataire only), twice: STORM_CHECKS warning checks on alpha,
# each flipping on every run (every 100 ms) for STORM_SECONDS. `http`: libcurl in the agent
# against bench_flip_server.py (no process per run); `exec`: a shell script per run, as a
# Nagios plugin would be.
storm() {  # KIND
    local kind=$1 out=$results/storm_$1 flip_server="" sampler mail_start trap_start on off end cpu stopped flapping
    local checks=$STORM_CHECKS busy outside
    [ "$kind" = exec ] && checks=$STORM_EXEC_CHECKS
    say "storm ($kind): $checks warning checks flapping every 100 ms for $STORM_SECONDS s"
    mkdir -p "$out"
    rm -rf "$run/storm" && mkdir -p "$run/storm"
    if [ "$kind" = http ]; then
        ip netns exec vb-alpha $python "$fixtures/bench_flip_server.py" "${address[alpha]}" 8081 "$run/storm/on" \
            "$out/flip_stats.json" >"$out/flip_server.out" 2>&1 &
        flip_server=$!
        wait_line "$out/flip_server.out" READY 10 || die "the flip server did not start: $(cat "$out/flip_server.out")"
    fi
    vac_start "storm-$kind"
    # The storm begins once both agents have released their start's pages (10 s after their
    # start): the figures are of a settled agent.
    for node in alpha beta; do
        wait_line "$vdir/$node/agent.log" "released the pages" 20 || die "vacataire $node did not release its start's pages"
    done
    mail_start=$(find "$work/smtp" -name '*.eml' | wc -l)
    trap_start=$(wc -l <"$work/traps/arrivals.log")
    ip netns exec vb-lab $python "$fixtures/bench_sampler.py" "$out/samples.txt" 20 $((STORM_SECONDS + 90)) \
        "alpha=http://${address[alpha]}:9411/metrics" "beta=http://${address[beta]}:9411/metrics" \
        "rss:alpha=${agent[alpha]}" &
    sampler=$!
    sleep 3
    cpu=$(ticks "${agent[alpha]}")
    busy=$(machine_ticks)
    on=$EPOCHREALTIME
    : >"$run/storm/on"
    sleep "$STORM_SECONDS"
    rm -f "$run/storm/on"
    off=$EPOCHREALTIME
    cpu=$(($(ticks "${agent[alpha]}") - cpu))
    read -r busy outside <<<"$(machine_busy "$busy")"
    say "storm ($kind): over; waiting for the flapping episodes to end (10 s window) and what they held back"
    # One notice when a check starts flapping, one when it stops (the same subject). Then 25 s
    # more for a digest of anything still owed (a token comes back every 10 s).
    for _ in $(seq 60); do
        flapping=$(cat "$work/smtp"/*.eml | grep -c "^Subject: .*flapping: check storm" || true)
        stopped=$(cat "$work/smtp"/*.eml | grep -c "^check storm-[0-9]* stopped flapping (" || true)
        [ "$flapping" -gt 0 ] && [ $((flapping - stopped)) -le "$stopped" ] && break
        sleep 1
    done
    sleep 25
    kill -TERM "$sampler" 2>/dev/null || true
    { wait "$sampler"; } 2>/dev/null || true
    end=$EPOCHREALTIME
    sqlite3 -readonly "$vdir/alpha/state/vacataire.sqlite" \
        "SELECT id, time, category, kind, reason FROM events ORDER BY id" >"$out/events_alpha.txt"
    sqlite3 -readonly "$vdir/beta/state/vacataire.sqlite" \
        "SELECT id, time, category, kind, reason FROM events ORDER BY id" >"$out/events_beta.txt"
    "$vacataire" events --json --limit 10000 --socket "$vdir/alpha/state/control.sock" >"$out/events_alpha.json" 2>/dev/null || true
    printf '{"kind": "%s", "on": %s, "off": %s, "end": %s, "checks": %d, "seconds": %d, "mail_start": %d, "trap_start": %d, "dead_after": 0.5, "heartbeat": 0.05, "alpha_cpu_ticks": %d, "clock_ticks": %d, "machine_busy": %s, "outside": %s}\n' \
        "$kind" "$on" "$off" "$end" "$checks" "$STORM_SECONDS" "$mail_start" "$trap_start" "$cpu" "$(getconf CLK_TCK)" "$busy" "$outside" \
        >"$out/storm.json"
    vac_stop
    cp "$vdir/alpha/agent.log" "$out/agent_alpha.log"
    cp "$vdir/beta/agent.log" "$out/agent_beta.log"
    cp -r "$run/storm" "$out/checks"
    if [ -n "$flip_server" ]; then
        kill -TERM "$flip_server" 2>/dev/null || true
        { wait "$flip_server"; } 2>/dev/null || true
    fi
}
for kind in $STORM_KINDS; do
    if phase "storm-$kind"; then storm "$kind"; fi
done

if [ "$PHASES" = link-order ]; then
    KEEP=1
    say "the functions the idle pair ran: $results/link-order.txt"
    status=ok
    exit 0
fi

# --- the report ----------------------------------------------------------------------------------
machine_busy "$run_busy" | cut -d' ' -f1 >"$results/machine_busy.txt"
cp /proc/loadavg "$results/loadavg_end.txt"
cp "$work/smtp/arrivals.log" "$results/mail_arrivals.log"
cp "$work/traps/traps.log" "$results/traps.log"
cp "$work/traps/arrivals.log" "$results/trap_arrivals.log"
everything=1
for name in vacataire vacataire-fast keepalived-tuned keepalived-script1s keepalived-defaults storm-http storm-exec; do
    phase "$name" || everything=0
done
out=$root/Docs/BENCHMARKS.md
[ "$everything" = 1 ] || out=$results/BENCHMARKS.md
$python "$fixtures/bench_report.py" --results "$results" --smtp "$work/smtp" \
    --out "$out" --vacataire "$vacataire" --binary-source "$binary_source" --root "$root" --head "$head_commit" \
    --rounds "$ROUNDS" --idle-seconds "$IDLE_SECONDS" --started "$start_time"
if [ "$everything" != 1 ]; then
    KEEP=1   # the report lives in the working directory
    say "only some phases ran: Docs/BENCHMARKS.md left alone (the report is in $out)"
fi
status=ok
