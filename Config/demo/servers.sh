# Shared by the demos: a real SMTP sink (aiosmtpd) and a real SNMP trap receiver
# (snmptrapd) on free loopback ports, stopped when the demo exits.
#   start_servers OUT   sets smtp_port and trap_port; mail lands in OUT/mail, traps in OUT/traps.log

pids=()
stop_servers() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_servers() {
    local out=$1 root mibs="" mib_args
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$out/mail"
    # The MIB modules our MIB imports (SNMPv2-SMI...) are not in Debian; use them if found,
    # else the receiver prints numeric OIDs.
    for dir in "${VACATAIRE_BASE_MIBS:-}" "$root/../shared/mibs" /usr/share/snmp/mibs/ietf; do
        if [ -n "$dir" ] && [ -f "$dir/SNMPv2-SMI.txt" ]; then mibs=$dir; break; fi
    done

    echo "== starting an SMTP sink (aiosmtpd) on loopback"
    /usr/bin/python3 "$root/Tests/Fixtures/smtp_sink.py" --dir "$out/mail" >"$out/smtp.stdout" 2>"$out/smtp.stderr" &
    pids+=($!)
    for _ in $(seq 100); do grep -q READY "$out/smtp.stdout" 2>/dev/null && break; sleep 0.1; done
    smtp_port=$(awk '/READY/ {print $2}' "$out/smtp.stdout")
    [ -n "$smtp_port" ] || { echo "the SMTP sink did not start:"; cat "$out/smtp.stderr"; exit 1; }
    echo "   listening on 127.0.0.1:$smtp_port"

    echo "== starting an SNMP trap receiver (snmptrapd) on loopback"
    trap_port=$(free_udp_port)
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
}

# The notify: section pointing at the servers above.
notify_yaml() {
    cat <<YAML
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
}

# Prints the traps received so far, one variable binding per line.
show_traps() {
    grep -vE "NET-SNMP version|Created directory" "$1/traps.log" | tr '\t' '\n'
}
