#!/bin/bash
# The notify demo: a real SMTP sink (aiosmtpd) and a real SNMP trap receiver (snmptrapd)
# on free loopback ports, a configuration pointing at them, `vacataire notify-test`, and
# what arrived at each. Run from the repository root: `make notify-demo` (it builds first).
#
#   Config/demo/notify-demo.sh [VACATAIRE_BINARY]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=${1:-$root/.build/debug/vacataire}
out=$root/demo-out
rm -rf "$out"
mkdir -p "$out/mail" "$out/state"
source "$root/Config/demo/servers.sh"
trap stop_servers EXIT
start_servers "$out"

{
    printf 'node:\n  name: demo-1\n  cluster: demo-pair\nstate_dir: state\n'
    notify_yaml
} >"$out/demo.yaml"

echo "== vacataire check-config $out/demo.yaml"
"$vacataire" check-config "$out/demo.yaml"
echo "== vacataire notify-test --config $out/demo.yaml"
"$vacataire" notify-test --config "$out/demo.yaml"

for _ in $(seq 50); do grep -q vacMessage "$out/traps.log" 2>/dev/null && break; grep -q "32473" "$out/traps.log" 2>/dev/null && break; sleep 0.1; done
echo
echo "== the email that arrived ($out/mail/0001.eml)"
cat "$out/mail/0001.eml"
echo
echo "== the trap that arrived ($out/traps.log)"
show_traps "$out"
