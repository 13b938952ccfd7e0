import Foundation

/// The `failover:` section: this node's role, its peer, the peer link's keys, the timings,
/// the service actions and the split-brain guard. Read and validated by `read`; turned into
/// the state machine's `FailoverSettings` by `settings`.
///
/// Timings are checked against each other (Docs/failover.md, "Timing constraints"); both
/// nodes should use the same timings, since each one's `self_fence_after` is measured
/// against the other's `dead_after`.
public struct FailoverConfig: Sendable, Equatable {
    public var role: ConfiguredRole
    public var peer: PeerSettings
    /// Where this node listens for the peer's datagrams.
    public var listen: Endpoint
    /// The shared HMAC keys; `activeKey` signs, all of them verify (rotation).
    public var keys: [KeyFile]
    public var activeKey: UInt16
    public var heartbeatInterval: ConfigDuration
    public var deadAfter: ConfigDuration
    public var selfFenceAfter: ConfigDuration
    public var handoffTimeout: ConfigDuration
    public var handoffRetries: Int
    /// How long a started service has to pass its service checks (make before break).
    public var verifyTimeout: ConfigDuration
    /// How long a node keeps its service after the peer's passed its checks, before stopping.
    public var drain: ConfigDuration
    public var start: ActionCommand
    public var stop: ActionCommand
    public var status: ActionCommand?
    public var witness: Witness?
    /// The peer's service as the load balancer sees it; answering means "do not take over".
    public var serviceProbe: URL?
    public var fence: ActionCommand?
    /// Set exactly when there is no witness.
    public var noWitness: NoWitnessPolicy?
    /// `mode: etcd`: the lease coordinator's store. Nil in mode pair; when set, the fields
    /// above that only the pair reads (role, peer, listen, keys, heartbeats, witness, probe,
    /// fence) keep inert values, and `peer.name` names the cluster's other members.
    public var etcd: EtcdConfig?
    /// The floating addresses the serving node holds (mode pair), if any.
    public var floating: FloatingAddressesConfig?

    public var mode: CoordinationMode { etcd == nil ? .pair : .etcd }

    /// The port heartbeats use when none is written.
    public static let defaultPort = Port(7411)

    /// The peer node and the paths its heartbeats travel (a private link, the public network...).
    public struct PeerSettings: Sendable, Equatable {
        public var name: String
        public var addresses: [Endpoint]
    }

    /// A host and a UDP or TCP port.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: HostAddress
        public var port: Port

        public var description: String {
            host.isIPv6 ? "[\(host.host)]:\(port)" : "\(host.host):\(port)"
        }

        /// `host:port`, `[v6]:port`, or a bare host (port `defaultPort`).
        static func parse(_ text: String, defaultPort: Port) -> Endpoint? {
            var hostText = text
            var port = defaultPort
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]") else { return nil }
                hostText = String(text[text.index(after: text.startIndex)..<close])
                let rest = text[text.index(after: close)...]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), case .success(let parsed) = Port.parse(String(rest.dropFirst())) else { return nil }
                    port = parsed
                }
            } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
                hostText = String(text[..<colon])
                guard case .success(let parsed) = Port.parse(String(text[text.index(after: colon)...])) else { return nil }
                port = parsed
            }
            guard case .success(let host) = HostAddress.parse(hostText) else { return nil }
            return Endpoint(host: host, port: port)
        }
    }

    /// One HMAC key: its number, sent with each message, and the file holding the secret.
    public struct KeyFile: Sendable, Equatable {
        public var id: UInt16
        public var file: String
    }

    /// What a standby must reach to believe it is not the isolated one.
    public enum Witness: Sendable, Equatable, CustomStringConvertible {
        /// A TCP connect to `host:port` (`tcp://host:port` or plain `host:port`).
        case tcp(Endpoint)
        /// An HTTP(S) GET answering 2xx or 3xx.
        case http(URL)

        public var description: String {
            switch self {
            case .tcp(let endpoint): return "tcp://\(endpoint)"
            case .http(let url): return url.absoluteString
            }
        }
    }

    /// The state machine's view of this configuration.
    public func settings(nodeName: String) -> FailoverSettings {
        var settings = FailoverSettings(
            role: role,
            nodeName: nodeName,
            peerName: peer.name,
            heartbeatInterval: .milliseconds(heartbeatInterval.milliseconds),
            deadAfter: .milliseconds(deadAfter.milliseconds),
            selfFenceAfter: .milliseconds(selfFenceAfter.milliseconds),
            handoffTimeout: .milliseconds(handoffTimeout.milliseconds),
            handoffRetries: handoffRetries,
            verifyTimeout: verifyTimeout.duration,
            drain: drain.duration,
            startTimeout: start.timeout.duration,
            stopTimeout: stop.timeout.duration,
            hasWitness: witness != nil,
            hasServiceProbe: serviceProbe != nil,
            hasFence: fence != nil,
            noWitnessPolicy: noWitness
        )
        settings.addressNames = floating?.addresses.map { "\($0.address) on \($0.interface)" } ?? []
        return settings
    }

    /// The lease coordinator's view of this configuration (mode etcd).
    public func leaseSettings(nodeName: String, etcd: EtcdConfig) -> LeaseSettings {
        LeaseSettings(
            nodeName: nodeName, priority: etcd.priority, ttl: etcd.ttl.duration, renewInterval: etcd.renewInterval.duration,
            requestTimeout: etcd.requestTimeout.duration, startTimeout: start.timeout.duration, stopTimeout: stop.timeout.duration,
            verifyTimeout: verifyTimeout.duration, handoffTimeout: handoffTimeout.duration, drain: drain.duration)
    }

    static func read(_ reader: ConfigReader, base: String) -> FailoverConfig? {
        if reader.optional("mode", CoordinationMode.self) == .etcd {
            return readLeaseMode(reader, base: base)
        }
        let role = reader.required("role", ConfiguredRole.self)
        let peer = readPeer(reader)
        let listen = readListen(reader)
        let (keys, activeKey) = readKeys(reader, base: base)
        let heartbeat = reader.duration("heartbeat_interval", default: ConfigDuration(seconds: 0.5), within: ConfigDuration(milliseconds: 50)...ConfigDuration(seconds: 60))
        let deadAfter = reader.duration("dead_after", default: ConfigDuration(seconds: 15), within: ConfigDuration.failoverTiming)
        let selfFence = reader.duration("self_fence_after", default: ConfigDuration(seconds: 3), within: ConfigDuration.failoverTiming)
        let handoffTimeout = reader.duration("handoff_timeout", default: ConfigDuration(seconds: 15), within: ConfigDuration.failoverTiming)
        let retries = reader.optional("handoff_retries", Int.self) ?? 2
        let floating = FloatingAddressesConfig.read(reader)
        // With floating addresses the old node lets them go before the new one takes them:
        // draining would only keep them away longer (a load balancer's drain still applies).
        let drain = reader.duration("drain", default: ConfigDuration(seconds: floating == nil ? 1 : 0), within: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 600))
        let (start, stop, status) = readActions(reader, base: base)
        // By default a started service has what the handoff window leaves after the start
        // timeout (and a heartbeat to confirm), from 1 to 10 seconds, to pass its checks.
        let handoffWindow = handoffTimeout.seconds * Double(min(max(retries, 0), 10) + 1)
        let defaultVerify = min(10, max(1, handoffWindow - (start?.timeout.seconds ?? 0) - heartbeat.seconds))
        let verifyTimeout = reader.duration("verify_timeout", default: ConfigDuration(seconds: defaultVerify), within: ConfigDuration.failoverTiming)
        let witness = reader.optional("witness", String.self).flatMap { readWitness($0, reader) }
        let probe = reader.optional("service_probe", String.self).flatMap { text -> URL? in
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
                reader.problem("service_probe", "expected an http:// or https:// URL of the peer's service, found `\(text)`")
                return nil
            }
            return url
        }
        let fence = reader.mapping("fence").flatMap { fenceReader -> ActionCommand? in
            let command = readShellCommand(fenceReader, "command", defaultTimeout: 30, timeoutKey: "timeout")
            fenceReader.finish()
            return command
        }
        let noWitness = reader.optional("no_witness", NoWitnessPolicy.self)

        // The split-brain guard must be a deliberate choice.
        if reader.has("witness") || witness != nil {
            if reader.has("no_witness") {
                reader.problem("no_witness", "only applies when no `witness` is configured; remove it")
            }
            if witness != nil, probe == nil, fence == nil {
                reader.problem("witness", "a witness alone cannot tell a dead peer from a cut peer link; add `service_probe` (the peer's service as the load balancer sees it) or `fence`")
            }
        } else if !reader.has("no_witness") {
            reader.problem("no_witness", "missing; without a `witness`, choose `stay` (never take over on silence) or `takeover` (risk serving twice if only the link is cut); see Docs/failover.md")
        }

        // Timings that cannot work together.
        // The rules the machine keeps with 20 ms of jitter (Docs/failover.md, "Timing rules").
        let minimumDeadAfter = FailoverSettings.minimumDeadAfter(heartbeat: heartbeat.duration)
        if deadAfter.duration < minimumDeadAfter {
            reader.problem("dead_after", "must be at least \(minimumDeadAfter.humanSeconds) with heartbeat_interval \(heartbeat) "
                + "(twice the interval, and one interval late plus 50 ms of jitter and scheduling), so that an idle pair never mistakes a late heartbeat for a death; found \(deadAfter)")
        }
        let minimumSelfFence = FailoverSettings.minimumSelfFenceAfter(heartbeat: heartbeat.duration)
        if selfFence.duration < minimumSelfFence {
            reader.problem("self_fence_after", "must be at least \(minimumSelfFence.humanSeconds) with heartbeat_interval \(heartbeat) "
                + "(a late heartbeat, then the witness's answer, with jitter), so that an active node never fences itself while its peer or witness answers; found \(selfFence)")
        }
        if verifyTimeout.seconds <= 0 {
            reader.problem("verify_timeout", "must be longer than 0s, found \(verifyTimeout)")
        }
        if drain.seconds < 0 {
            reader.problem("drain", "must not be negative, found \(drain)")
        }
        if let stop, selfFence.seconds + stop.timeout.seconds >= deadAfter.seconds {
            reader.problem("self_fence_after", "self_fence_after (\(selfFence)) + \(stop.timeoutText("stop")) must be less than dead_after (\(deadAfter)), so that a cut-off active node has stopped before its peer may take over")
        }
        if handoffTimeout.seconds <= heartbeat.seconds {
            reader.problem("handoff_timeout", "must be more than heartbeat_interval (\(heartbeat)), found \(handoffTimeout)")
        }
        if !(0...10).contains(retries) {
            reader.problem("handoff_retries", "must be from 0 to 10, found \(retries)")
        }
        if let start, handoffTimeout.seconds * Double(max(retries, 0) + 1) <= start.timeout.seconds {
            reader.problem("handoff_timeout", "handoff_timeout (\(handoffTimeout)) × (handoff_retries + 1) must be more than \(start.timeoutText("start")), or a handoff gives up while the peer is still starting")
        } else if let start, handoffWindow < start.timeout.seconds + verifyTimeout.seconds, !reader.has("verify_timeout") {
            // The default verify_timeout is what the window leaves, at least 1 s: blame the
            // window the user wrote, not a key the user never saw.
            reader.problem("handoff_timeout", "handoff_timeout (\(handoffTimeout)) × (handoff_retries + 1) leaves less than 1s after \(start.timeoutText("start")) for the started service to pass its checks (verify_timeout); make the window at least \(ConfigDuration(seconds: start.timeout.seconds + 1)) or the start timeout shorter")
        } else if let start, handoffWindow < start.timeout.seconds + verifyTimeout.seconds {
            reader.problem("verify_timeout", "\(start.timeoutText("start")) + verify_timeout (\(verifyTimeout)) must fit in handoff_timeout (\(handoffTimeout)) × (handoff_retries + 1), or a handoff gives up while the peer is still verifying its service")
        }
        reader.finish()
        guard let role, let peer, let listen, let keys, let activeKey, let start, let stop else { return nil }
        return FailoverConfig(
            role: role, peer: peer, listen: listen, keys: keys, activeKey: activeKey,
            heartbeatInterval: heartbeat, deadAfter: deadAfter, selfFenceAfter: selfFence,
            handoffTimeout: handoffTimeout, handoffRetries: retries, verifyTimeout: verifyTimeout, drain: drain, start: start, stop: stop, status: status,
            witness: witness, serviceProbe: probe, fence: fence, noWitness: noWitness, etcd: nil, floating: floating
        )
    }

    /// `mode: etcd`: the actions and the timings both modes share, and the `etcd` section;
    /// the pair's keys are refused with the reason.
    static func readLeaseMode(_ reader: ConfigReader, base: String) -> FailoverConfig? {
        for key in EtcdConfig.pairOnlyKeys where reader.has(key) {
            reader.problem(key, "only mode pair reads `\(key)`; with mode etcd the nodes find each other through etcd (failover.etcd): remove it")
        }
        let (start, stop, status) = readActions(reader, base: base)
        let verifyTimeout = reader.duration("verify_timeout", default: ConfigDuration(seconds: 10), within: ConfigDuration.failoverTiming)
        let startTimeout = start?.timeout ?? ConfigDuration(seconds: 30)
        // By default a handoff waits for the start, the verification and 5 s to move the key.
        let handoffDefault = ConfigDuration(seconds: startTimeout.seconds + verifyTimeout.seconds + 5)
        let handoffTimeout = reader.duration("handoff_timeout", default: handoffDefault, within: ConfigDuration.failoverTiming)
        if handoffTimeout.seconds <= startTimeout.seconds + verifyTimeout.seconds {
            reader.problem("handoff_timeout", "must be more than \(start?.timeoutText("start") ?? "actions.start.timeout (\(startTimeout))") + verify_timeout (\(verifyTimeout)), "
                + "or a leader gives up its handoff while the member it asked is still starting; found \(handoffTimeout)")
        }
        let drain = reader.duration("drain", default: ConfigDuration(seconds: 1), within: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 600))
        let etcdReader = reader.mapping("etcd")
        if !reader.has("etcd") {
            reader.problem("etcd", "missing; mode etcd needs `etcd: {endpoints: [http://HOST:2379, ...]}` (Docs/etcd.md)")
        }
        let etcd = etcdReader.flatMap {
            EtcdConfig.read($0, base: base, stopTimeout: stop?.timeout ?? ConfigDuration(seconds: 10), startTimeout: startTimeout)
        }
        reader.finish()
        guard let start, let stop, let etcd else { return nil }
        return FailoverConfig(
            role: .standby, peer: PeerSettings(name: "other members", addresses: []), listen: Endpoint(host: HostAddress(host: "0.0.0.0"), port: defaultPort),
            keys: [], activeKey: 0, heartbeatInterval: ConfigDuration(seconds: 0.5), deadAfter: ConfigDuration(seconds: 15),
            selfFenceAfter: ConfigDuration(seconds: 3), handoffTimeout: handoffTimeout, handoffRetries: 0, verifyTimeout: verifyTimeout,
            drain: drain, start: start, stop: stop, status: status, witness: nil, serviceProbe: nil, fence: nil, noWitness: nil, etcd: etcd)
    }

    static func readPeer(_ reader: ConfigReader) -> PeerSettings? {
        guard let peerReader = reader.mapping("peer") else {
            if !reader.has("peer") { reader.problem("peer", "missing; expected a mapping with `name` and `addresses`") }
            return nil
        }
        let name = peerReader.required("name", String.self)
        if let name, !NodeIdentity.isIdentifier(name) {
            peerReader.problem("name", "expected letters, digits, `-`, `_` or `.` (1 to 64 of them), found `\(name)`")
        }
        var addresses: [Endpoint] = []
        if let texts = peerReader.values("addresses", String.self) {
            for text in texts {
                if let endpoint = Endpoint.parse(text, defaultPort: defaultPort) {
                    addresses.append(endpoint)
                } else {
                    peerReader.problem("addresses", "expected HOST:PORT (or [IPv6]:PORT), found `\(text)`")
                }
            }
            if texts.isEmpty { peerReader.problem("addresses", "expected at least one HOST:PORT path to the peer") }
        } else {
            peerReader.problem("addresses", "missing; expected a list of HOST:PORT paths to the peer")
        }
        peerReader.finish()
        guard let name, !addresses.isEmpty else { return nil }
        return PeerSettings(name: name, addresses: addresses)
    }

    static func readListen(_ reader: ConfigReader) -> Endpoint? {
        guard let listenReader = reader.mapping("listen") else {
            return Endpoint(host: HostAddress(host: "0.0.0.0"), port: defaultPort)
        }
        let address = listenReader.optional("address", HostAddress.self) ?? HostAddress(host: "0.0.0.0")
        let port = listenReader.optional("port", Port.self) ?? defaultPort
        listenReader.finish()
        return Endpoint(host: address, port: port)
    }

    static func readKeys(_ reader: ConfigReader, base: String) -> ([KeyFile]?, UInt16?) {
        let keys = reader.list("keys") { keyReader -> KeyFile? in
            var id = keyReader.required("id", Int.self)
            let file = keyReader.required("file", String.self).map { Config.resolve($0, base: base) }
            if let number = id, !(0...Int(UInt16.max)).contains(number) {
                keyReader.problem("id", "expected a key number from 0 to 65535 (it is sent with every message), found \(number)")
                id = nil
            }
            if let file, !FileManager.default.fileExists(atPath: file) {
                keyReader.problem("file", "cannot read the key file \(file): it does not exist; make it with "
                    + "`openssl rand -hex 32 > \(file) && chmod 600 \(file)` and copy it to the peer")
            } else if let file, !FileManager.default.isReadableFile(atPath: file) {
                keyReader.problem("file", "cannot read the key file \(file)")
            } else if let file, let mode = (try? FileManager.default.attributesOfItem(atPath: file))?[.posixPermissions] as? Int,
                      mode & 0o077 != 0 {
                keyReader.problem("file", "the key file \(file) has mode \(String(format: "%04o", mode)); others may read it, it must be 0600 or 0400 (then replace the key)")
            }
            guard let id, let file else { return nil }
            return KeyFile(id: UInt16(id), file: file)
        }
        if !reader.has("keys") {
            reader.problem("keys", "missing; expected a list of `id` and `file` (the shared HMAC key)")
        } else if keys.isEmpty {
            reader.problem("keys", "expected at least one key")
        }
        var seen: Set<UInt16> = []
        for key in keys where !seen.insert(key.id).inserted {
            reader.problem("keys", "two keys have the id `\(key.id)`; ids must be unique")
        }
        let written = reader.optional("active_key", Int.self)
        let active = written.flatMap { UInt16(exactly: $0) } ?? (written == nil && keys.count == 1 ? keys.first?.id : nil)
        if let written, !keys.isEmpty, active.map({ !seen.contains($0) }) ?? true {
            reader.problem("active_key", "\(written) is not one of the `keys` ids (\(keys.map { String($0.id) }.joined(separator: ", ")))")
        } else if active == nil, keys.count > 1 {
            reader.problem("active_key", "missing; with several keys, name the one that signs")
        }
        return (keys.isEmpty ? nil : keys, active)
    }

    static func readWitness(_ text: String, _ reader: ConfigReader) -> Witness? {
        if text.hasPrefix("http://") || text.hasPrefix("https://") {
            guard let url = URL(string: text), url.host?.isEmpty == false else {
                reader.problem("witness", "expected http://HOST[:PORT]/PATH, found `\(text)`")
                return nil
            }
            return .http(url)
        }
        let target = text.hasPrefix("tcp://") ? String(text.dropFirst("tcp://".count)) : text
        guard target.contains(":"), let endpoint = Endpoint.parse(target, defaultPort: defaultPort) else {
            reader.problem("witness", "expected tcp://HOST:PORT or an http:// URL, found `\(text)`")
            return nil
        }
        return .tcp(endpoint)
    }
}
