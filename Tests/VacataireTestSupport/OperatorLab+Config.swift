import Foundation

/// The operator lab's configuration files: each node's, as an operator writes it, and HAProxy's.
extension OperatorLab {
    /// One node's configuration, written as an operator would from
    /// Config/vacataire.example.yaml and Docs/: no `scope:` on the check.
    public func config(_ node: Node, certificate: String) -> String {
        let lb = OperatorNetwork.lbAddress
        return """
            node: {name: \(node.rawValue), cluster: shop}
            state_dir: state-\(node.rawValue)
            control: {socket: state-\(node.rawValue)/control.sock}
            snmp_engine_id: "\(node.engineID)"
            http: {address: \(node.publicAddress), port: \(Self.httpPort)}
            agent_check: {address: \(node.publicAddress), port: \(Self.agentCheckPort)}

            notify:
              email:
                - name: oncall
                  url: smtp://\(lb):\(Self.smtpPort)
                  from: vacataire-\(node.rawValue)@example.org
                  to: [oncall@example.org]
                  starttls: required
                  ca_file: \(certificate)
                  username: vacataire
                  password_file: smtp.password
                  timeout: 5s
                  connect_timeout: 2s
              snmp:
                - name: nms
                  address: \(lb)
                  port: \(Self.trapPort)
                  version: 3
                  user: vacataire
                  security_level: authPriv
                  auth_protocol: SHA
                  auth_password_file: snmp-auth.password
                  priv_protocol: AES
                  priv_password_file: snmp-priv.password

            # Retry soon: a node cut off from lb delivers what it owes once it is back.
            outbox:
              retry_initial: 1s
              retry_max: 2s

            # The peer pages an incident itself if the serving node does not confirm a
            # delivery within this: short, so that such a second page shows within a scenario.
            incidents:
              confirm_timeout: 3s

            checks:
              - name: home-page
                kind: http
                url: http://127.0.0.1:\(Self.servicePort)/
                expect_status: 200
                expect_bytes: \(Self.pageBytes)
                interval: 200ms
                timeout: 200ms
                rise: 2
                fall: 2

            failover:
              role: \(node.role)
              peer: {name: \(node.peer.rawValue), addresses: ["\(node.peer.privateAddress):\(Self.peerPort)"]}
              listen: {address: \(node.privateAddress), port: \(Self.peerPort)}
              keys: [{id: 1, file: peer.key}]
              heartbeat_interval: \(Int(Self.heartbeat * 1000))ms
              dead_after: \(Int(Self.deadAfter * 1000))ms
              self_fence_after: \(Int(Self.selfFenceAfter * 1000))ms
              handoff_timeout: \(Int(Self.handoffTimeout * 1000))ms
              handoff_retries: 2
              actions:
                start: {command: "./web_service.sh start \(node.rawValue) \(Self.servicePort)", timeout: 5s}
                stop: {command: "./web_service.sh stop \(node.rawValue)", timeout: \(Int(Self.stopTimeout * 1000))ms}
              witness: tcp://\(lb):\(Self.witnessPort)
              service_probe: http://\(node.peer.publicAddress):\(Self.servicePort)/

            """
    }

    /// HAProxy as Config/haproxy/haproxy-agent-check.cfg has it, with the lab's addresses
    /// and fast checks (every 200 ms, one answer flips a server).
    func haproxyConfig() -> String {
        let servers = Node.allCases.map {
            "    server \($0.rawValue) \($0.publicAddress):\(Self.servicePort) check inter 200ms fall 1 rise 1 "
                + "agent-check agent-port \(Self.agentCheckPort) agent-inter 200ms"
        }.joined(separator: "\n")
        return """
            global
                stats socket \(statsSocket) level admin

            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                timeout check 1s

            frontend web
                bind \(OperatorNetwork.lbAddress):\(Self.frontendPort)
                default_backend pair

            backend pair
            \(servers)

            """
    }
}
