# Sourced by the loopback benchmarks (instruction-counts.sh, idle-bench.sh): one node's
# configuration of a pair on loopback, with peer.key and state-NAME/ in the working directory.
#
#   loopback_node ROLE NAME PEER PORT PEERPORT HTTPPORT CHECK_URL|- HEARTBEAT [PATHS(1|2)]
#
# CHECK_URL: an http check of that 4 KiB page every 100 ms (scope node); `-`: no check.
# PATHS 2 sends to the peer over 127.0.0.2 too. Its peer is dead only after 10 s of silence.
loopback_node() {
    local role=$1 name=$2 peer=$3 port=$4 peerport=$5 httpport=$6 check=$7 heartbeat=$8 paths=${9:-1}
    local addresses="\"127.0.0.1:$peerport\""
    [ "$paths" = 2 ] && addresses="$addresses, \"127.0.0.2:$peerport\""
    cat <<EOF
node: {name: $name, cluster: bench}
state_dir: state-$name
control: {socket: state-$name/control.sock}
http: {address: 127.0.0.1, port: $httpport}
notify: {email: [], snmp: []}
EOF
    if [ "$check" != - ]; then
        cat <<EOF
checks:
  - {name: page, kind: http, url: "$check", expect_status: 200, expect_bytes: 4096, interval: 100ms, timeout: 100ms, scope: node}
EOF
    fi
    cat <<EOF
failover:
  role: $role
  peer: {name: $peer, addresses: [$addresses]}
  listen: {address: 0.0.0.0, port: $port}
  keys: [{id: 1, file: peer.key}]
  heartbeat_interval: $heartbeat
  dead_after: 10s
  self_fence_after: 3s
  actions:
    start: {command: "true", timeout: 5s}
    stop: {command: "true", timeout: 2s}
  no_witness: stay
EOF
}
