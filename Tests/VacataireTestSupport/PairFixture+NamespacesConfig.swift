import Foundation

/// The namespace topology's configuration files: each node's, as an operator writes it, and HAProxy's.
extension PairFixture {
    /// One node's configuration, written as an operator would from
    /// Config/vacataire.example.yaml and Docs/: no `scope:` on the check.
    public func deployedConfig(_ node: Node, certificate: String, addresses: [String] = []) -> String {
        let lb = OperatorNetwork.lbAddress
        let probeHost = node.peer.publicAddress
        let floating = addresses.isEmpty ? "" : "\n  addresses:\n" + addresses.map { "    - {address: \($0), interface: pub0}" }.joined(separator: "\n")
        return """
            node: {name: \(node.rawValue), cluster: shop}
            state_dir: state-\(node.rawValue)
            control: {socket: state-\(node.rawValue)/control.sock}
            snmp_engine_id: "\(node.engineID)"
            http: {address: \(node.publicAddress), port: \(Lab.httpPort)}
            agent_check: {address: \(node.publicAddress), port: \(Lab.agentCheckPort)}

            notify:
              email:
                - name: oncall
                  url: smtp://\(lb):\(Lab.smtpPort)
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
                  port: \(Lab.trapPort)
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
                url: http://127.0.0.1:\(Lab.servicePort)/
                expect_status: 200
                expect_bytes: \(Self.pageBytes)
                interval: 200ms
                timeout: 200ms
                rise: 2
                fall: 2

            failover:
              role: \(node.role)
              peer: {name: \(node.peer.rawValue), addresses: ["\(node.peer.privateAddress):\(Lab.peerPort)"]}
              listen: {address: \(node.privateAddress), port: \(Lab.peerPort)}
            \(Self.failoverTimingLines)
              actions:
                start: {command: "./web_service.sh start \(node.rawValue) \(Lab.servicePort)", timeout: 5s}
                stop: {command: "./web_service.sh stop \(node.rawValue)", timeout: \(Int(Self.stopTimeout * 1000))ms}
              witness: tcp://\(lb):\(Lab.witnessPort)
              service_probe: http://\(probeHost):\(Lab.servicePort)/\(floating)

            """
    }

    /// HAProxy as Config/haproxy/haproxy-agent-check.cfg has it, with the lab's addresses
    /// and fast checks (every 200 ms, one answer flips a server).
    func haproxyConfig() -> String {
        let servers = Node.allCases.map {
            "server \($0.rawValue) \($0.publicAddress):\(Lab.servicePort) check inter 200ms fall 1 rise 1 "
                + "agent-check agent-port \(Lab.agentCheckPort) agent-inter 200ms"
        }
        return HAProxyFixture.config(bind: "\(OperatorNetwork.lbAddress):\(Lab.frontendPort)", backend: servers, statsSocket: lab?.statsSocket ?? "")
    }
}
