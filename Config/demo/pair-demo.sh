#!/bin/bash
# The main demo: a pair of `vacataire run` agents on loopback (Config/pair), each managing
# a real HTTP service, with a real SMTP sink and SNMP trap receiver. It breaks the master,
# shows the standby taking over and the page that arrived, acknowledges, repairs and fails
# back from the CLI. Run from the repository root: `make demo` (it builds first).
#
#   Config/demo/pair-demo.sh [VACATAIRE_BINARY]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=${1:-$root/.build/debug/vacataire}
out=$root/demo-out
rm -rf "$out"
mkdir -p "$out"
source "$root/Config/demo/servers.sh"

pair=$out/pair
cp -r "$root/Config/pair" "$pair"
agents=()
cleanup() {
    for pid in "${agents[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    (cd "$pair" && ./service.sh stop alpha && ./service.sh stop beta) || true
    stop_servers
}
trap cleanup EXIT
start_servers "$out"

step() { printf '\n== %s\n' "$*"; }
serving() {
    for port in 8081 8082; do
        printf '   http://127.0.0.1:%s/ -> %s\n' "$port" "$(curl -s -m 1 "http://127.0.0.1:$port/" || echo "(no answer)")"
    done
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local limit=$1 what=$2
    shift 2
    for _ in $(seq $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "   gave up waiting for $what"; return 1
}
answers() { curl -s -m 1 "$1" | grep -q "$2"; }
show_mail() {  # the newest email's subject and body
    local file
    file=$(ls "$out/mail"/*.eml 2>/dev/null | tail -1)
    [ -n "$file" ] || { echo "   (no email yet)"; return; }
    echo "   --- $(basename "$file")"
    sed -n '/^Subject:/p' "$file" | sed 's/^/   /'
    sed '1,/^\r*$/d' "$file" | tr -d '\r' | sed 's/^/   | /'
}

step "the pair: Config/pair/master.yaml (alpha) and standby.yaml (beta), notifications to the local servers"
openssl rand -hex 32 >"$pair/peer.key"
chmod 600 "$pair/peer.key"
for file in master.yaml standby.yaml; do
    python3 - "$pair/$file" "$(notify_yaml)" <<'PY'
import sys
path, notify = sys.argv[1], sys.argv[2]
text = open(path).read()
start = text.index("notify:")
end = text.index("checks:")
open(path, "w").write(text[:start] + notify + "\n\n" + text[end:])
PY
    "$vacataire" check-config "$pair/$file" | sed 's/^/   /'
done

step "starting both agents (logs in $pair/*.log)"
"$vacataire" run --config "$pair/master.yaml" >"$pair/alpha.log" 2>&1 &
agents+=($!)
"$vacataire" run --config "$pair/standby.yaml" >"$pair/beta.log" 2>&1 &
agents+=($!)
wait_for 20 "alpha to serve" bash -c "'$vacataire' status --config '$pair/master.yaml' | head -1 | grep -q ACTIVE"
serving
"$vacataire" status --config "$pair/master.yaml" | sed 's/^/   /'

step "breaking alpha: touch alpha.broken (its check app goes CRITICAL)"
touch "$pair/alpha.broken"
wait_for 20 "beta to serve" answers http://127.0.0.1:8082/ "served by beta"
wait_for 10 "alpha to stop" bash -c "'$vacataire' status --config '$pair/master.yaml' | head -1 | grep -q FAILED"
wait_for 10 "beta to be active" bash -c "'$vacataire' status --config '$pair/standby.yaml' | head -1 | grep -q ACTIVE"
serving
"$vacataire" status --config "$pair/standby.yaml" | sed 's/^/   /'

step "the page that arrived at the SMTP sink"
wait_for 10 "the email" bash -c "ls '$out/mail'/*.eml"
show_mail
step "the trap that arrived at snmptrapd"
wait_for 10 "the trap" grep -q "vac" "$out/traps.log"
show_traps "$out" | sed 's/^/   /'

step "acknowledging on beta: vacataire ack --comment \"looking at alpha\""
"$vacataire" ack --config "$pair/standby.yaml" --comment "looking at alpha" | sed 's/^/   /'

step "failback before the repair: alpha starts its service, its check still fails, it stops it again; beta never stops"
"$vacataire" failback --config "$pair/master.yaml" | sed 's/^/   /' || echo "   (exit status ${PIPESTATUS[0]})"
wait_for 30 "alpha to give the failback up" bash -c "'$vacataire' events --config '$pair/master.yaml' | grep -q 'failback abandoned'"
wait_for 20 "alpha to be failed again" bash -c "'$vacataire' status --config '$pair/master.yaml' | head -1 | grep -q ': FAILED'"
"$vacataire" events --config "$pair/master.yaml" | grep "failback abandoned" | head -1 | sed 's/^/   /'

step "repairing alpha (rm alpha.broken) and failing back: vacataire failback"
rm "$pair/alpha.broken"
"$vacataire" failback --config "$pair/master.yaml" | sed 's/^/   /'
wait_for 30 "alpha to serve again" bash -c "'$vacataire' status --config '$pair/master.yaml' | head -1 | grep -q ': ACTIVE'"
serving

step "alpha's event history: vacataire events"
"$vacataire" events --config "$pair/master.yaml" | sed 's/^/   /'

step "emails received: $(ls "$out/mail"/*.eml | wc -l), traps received: $(grep -c snmpTrapOID "$out/traps.log")"
grep -h "^Subject:" "$out/mail"/*.eml | sed 's/^/   /'
