#!/bin/bash
# The notify demo: a real SMTP sink (aiosmtpd) and a real SNMP trap receiver (snmptrapd)
# on free loopback ports, a configuration pointing at them, `vacataire notify-test`, and
# what arrived at each. Run from the repository root: `make demo` (it builds first).
#
#   Config/demo/notify-demo.sh [VACATAIRE_BINARY]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vacataire=${1:-$root/.build/debug/vacataire}
out=$root/demo-out
rm -rf "$out"
mkdir -p "$out/mail" "$out/state"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}

# The MIB modules our MIB imports (SNMPv2-SMI...) are not in Debian; use them if found,
# else the receiver prints numeric OIDs.
mibs=""
for dir in "${VACATAIRE_BASE_MIBS:-}" "$root/../shared/mibs" /usr/share/snmp/mibs/ietf; do
    if [ -n "$dir" ] && [ -f "$dir/SNMPv2-SMI.txt" -o -f "$dir/SNMPv2-SMI" ]; then mibs=$dir; break; fi
done

echo "== starting an SMTP sink (aiosmtpd) on loopback"
/usr/bin/python3 "$root/Tests/Fixtures/smtp_sink.py" --dir "$out/mail" >"$out/smtp.stdout" 2>"$out/smtp.stderr" &
pids+=($!)
for _ in $(seq 100); do grep -q READY "$out/smtp.stdout" 2>/dev/null && break; sleep 0.1; done
smtp_port=$(awk '/READY/ {print $2}' "$out/smtp.stdout")
[ -n "$smtp_port" ] || { echo "the SMTP sink did not start:"; cat "$out/smtp.stderr"; exit 1; }
echo "   listening on 127.0.0.1:$smtp_port"

echo "== starting an SNMP trap receiver (snmptrapd) on loopback"
trap_port=$(free_port SOCK_DGRAM)
echo "authCommunity log demo-community" >"$out/snmptrapd.conf"
if [ -n "$mibs" ]; then
    mib_args=(-M "$mibs:$root/Docs/mibs" -m LE-VACATAIRE-MIB:SNMPv2-MIB)
else
    echo "   (base MIB modules not found: traps are shown with numeric OIDs)"
    mib_args=(-M "" -m "")
fi
/usr/sbin/snmptrapd -f -C -c "$out/snmptrapd.conf" -Lf "$out/traps.log" "${mib_args[@]}" \
    -F "%V\n%v\n" "udp:127.0.0.1:$trap_port" >"$out/snmptrapd.stdout" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "NET-SNMP version" "$out/traps.log" 2>/dev/null && break; sleep 0.1; done
echo "   listening on udp 127.0.0.1:$trap_port"

cat >"$out/demo.yaml" <<YAML
node:
  name: demo-1
  cluster: demo-pair
state_dir: state
notify:
  email:
    - name: local-sink
      url: smtp://127.0.0.1:$smtp_port
      from: vacataire@example.org
      to: [oncall@example.org]
      starttls: "off"          # the demo sink speaks plain SMTP on loopback
  snmp:
    - name: local-receiver
      address: 127.0.0.1
      port: $trap_port
      community: demo-community
YAML

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
grep -vE "NET-SNMP version|Created directory" "$out/traps.log" | tr '\t' '\n'
