import CCurl
import Foundation
import VacataireCore
import VacataireCurl

/// The etcd v3 API through its JSON gateway (`POST /v3/...`, keys and values in base64,
/// 64-bit numbers as strings), over libcurl: the HTTP client the agent already has, so the
/// lease mode adds no dependency and no generated code. What the lease coordinator asks
/// (`LeaseRequest`) becomes one call here; every call is blocking (run it on a blocking
/// thread) and bounded by `requestTimeout`, and tries the endpoints in turn until one
/// answers.
///
/// Keys, under `prefix/cluster/`: `leader` (the holder's name, bound to its lease; its
/// mod revision is the epoch), `members/NAME` (`{"priority":N,"ready":true}`, bound to
/// the member's lease), `handoff` (who is asked to take over from which holder) and
/// `handoff-ready` (the member asked is verified: the holder moves its key to that
/// member's lease).
public struct EtcdGateway: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `http://HOST:PORT` or `https://HOST:PORT`, tried in order.
        public var endpoints: [String]
        public var prefix: String
        public var cluster: String
        public var requestTimeout: Duration
        /// TLS: the CA that signed the servers, and this client's certificate and key.
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        /// etcd's own user and the file holding its password (read at each sign-in).
        public var user: String?
        public var passwordFile: String?

        public init(endpoints: [String], prefix: String = "/vacataire", cluster: String, requestTimeout: Duration = .seconds(2),
                    caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, user: String? = nil, passwordFile: String? = nil) {
            self.endpoints = endpoints
            self.prefix = prefix
            self.cluster = cluster
            self.requestTimeout = requestTimeout
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.user = user
            self.passwordFile = passwordFile
        }

        /// The gateway's settings for a node of `cluster` configured with `etcd`.
        public init(_ etcd: EtcdConfig, cluster: String) {
            self.init(endpoints: etcd.endpoints, prefix: etcd.prefix, cluster: cluster, requestTimeout: etcd.requestTimeout.duration,
                      caFile: etcd.tls?.caFile, certificateFile: etcd.tls?.certificateFile, keyFile: etcd.tls?.keyFile,
                      user: etcd.auth?.user, passwordFile: etcd.auth?.passwordFile)
        }
    }

    public let settings: Settings
    /// The endpoint that answered last (tried first), and the auth token.
    let session = Session()

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// What the gateway remembers between calls, shared by its threads.
    final class Session: @unchecked Sendable {
        private let lock = NSLock()
        private var preferred = 0
        private var token: String?

        var firstEndpoint: Int { lock.withLock { preferred } }
        func answered(_ index: Int) { lock.withLock { preferred = index } }
        var authToken: String? { lock.withLock { token } }
        func signedIn(_ new: String?) { lock.withLock { token = new } }
    }

    /// The endpoints in the order to try them: the one that answered last first.
    var endpointOrder: [(index: Int, url: String)] {
        let first = session.firstEndpoint
        let all = Array(settings.endpoints.enumerated())
        guard first < all.count else { return all.map { ($0.offset, $0.element) } }
        return (all[first...] + all[..<first]).map { ($0.offset, $0.element) }
    }

    var root: String { "\(settings.prefix)/\(settings.cluster)/" }
    var leaderKey: String { root + "leader" }
    func memberKey(_ name: String) -> String { root + "members/" + name }

    // MARK: - Operations

    /// A new lease of `ttl` (whole seconds, at least 1); its id.
    public func grant(ttl: Duration) throws(EtcdError) -> Int64 {
        let answer = try post("/v3/lease/grant", ["TTL": String(max(1, ttl.wholeSecondsRoundedUp))])
        guard let id = Self.int64(answer["ID"]) else { throw EtcdError("lease/grant answered without an ID: \(answer)") }
        return id
    }

    /// Renews the lease; false when etcd no longer knows it (expired or revoked).
    public func keepAlive(_ lease: Int64) throws(EtcdError) -> Bool {
        let answer = try post("/v3/lease/keepalive", ["ID": String(lease)])
        let result = answer["result"] as? [String: Any] ?? answer
        return (Self.int64(result["TTL"]) ?? 0) > 0
    }

    /// Writes this node's member key, bound to its lease.
    public func publish(_ member: MemberRecord, lease: Int64) throws(EtcdError) {
        var fields: [String: Any] = ["priority": member.priority, "ready": member.ready]
        fields["role"] = member.role
        fields["version"] = member.version
        fields["endpoint"] = member.endpoint
        guard let value = try? JSONSerialization.data(withJSONObject: fields, options: .sortedKeys) else {
            throw EtcdError("cannot encode the member key of \(member.name)")
        }
        _ = try post("/v3/kv/put", ["key": Self.base64(memberKey(member.name)), "value": value.base64EncodedString(), "lease": String(lease)])
    }

    /// Takes the leader key if nobody holds it (its create revision is 0), bound to `lease`.
    public func campaign(name: String, lease: Int64) throws(EtcdError) -> (won: Bool, leader: LeaderRecord?) {
        try claim(compare: ["key": Self.base64(leaderKey), "target": "CREATE", "create_revision": "0"], name: name, lease: lease)
    }

    /// Moves the leader key from `from` to `name` if `from` still holds it at its revision.
    public func takeOver(from: LeaderRecord, name: String, lease: Int64) throws(EtcdError) -> (won: Bool, leader: LeaderRecord?) {
        try claim(compare: ["key": Self.base64(leaderKey), "target": "MOD", "mod_revision": String(from.revision)], name: name, lease: lease)
    }

    /// Deletes the leader key if it is still `record`.
    public func resign(_ record: LeaderRecord) throws(EtcdError) {
        _ = try post("/v3/kv/txn", [
            "compare": [["key": Self.base64(leaderKey), "target": "MOD", "mod_revision": String(record.revision)]],
            "success": [["request_delete_range": ["key": Self.base64(leaderKey)]]],
        ])
    }

    /// Asks `to` to take over: the handoff key, which every member watches.
    public func requestHandoff(_ request: HandoffRequest) throws(EtcdError) {
        let fields: [String: Any] = [
            "to": request.to, "from": request.from.holder, "revision": request.from.revision, "purpose": request.purpose.rawValue,
            "failing": request.failing.map { ["name": $0.name, "output": String($0.output.prefix(1_024))] },
        ]
        guard let value = try? JSONSerialization.data(withJSONObject: fields) else { throw EtcdError("cannot encode the handoff request to \(request.to)") }
        _ = try post("/v3/kv/put", ["key": Self.base64(root + "handoff"), "value": value.base64EncodedString()])
    }

    /// Tells the holder `from` that `name` is verified and ready: the key it watches,
    /// naming the lease to bind the leader key to.
    public func announceReady(from: LeaderRecord, name: String, lease: Int64) throws(EtcdError) {
        let value = #"{"name":"\#(name)","lease":"\#(lease)","revision":\#(from.revision),"from":"\#(from.holder)"}"#
        _ = try post("/v3/kv/put", ["key": Self.base64(root + "handoff-ready"), "value": Self.base64(value)])
    }

    /// Writes an incident's key (no lease: it outlives its owner's).
    public func recordIncident(_ incident: ClusterIncident) throws(EtcdError) {
        var fields: [String: Any] = ["kind": incident.kind.rawValue, "owner": incident.owner, "reason": incident.reason]
        fields["opened"] = incident.openedAt.map { $0.timeIntervalSince1970 }
        if let ack = incident.acknowledgement {
            var written: [String: Any] = ["author": ack.author, "on": ack.on]
            written["comment"] = ack.comment
            written["expires_in_ms"] = ack.expiresIn.map { Int($0.milliseconds) }
            fields["acknowledgement"] = written
        }
        guard let value = try? JSONSerialization.data(withJSONObject: fields, options: .sortedKeys) else {
            throw EtcdError("cannot encode incident \(incident.id)")
        }
        _ = try post("/v3/kv/put", ["key": Self.base64(incidentKey(incident.id)), "value": value.base64EncodedString()])
    }

    /// Deletes a closed incident's key.
    public func forgetIncident(_ id: IncidentID) throws(EtcdError) {
        _ = try post("/v3/kv/deleterange", ["key": Self.base64(incidentKey(id))])
    }

    func incidentKey(_ id: IncidentID) -> String { root + "incidents/" + id.description }

    /// The leader key and every member key, read linearizably, with the store's revision.
    public func read() throws(EtcdError) -> (leader: LeaderRecord?, members: [MemberRecord], incidents: [ClusterIncident], revision: Int64) {
        let answer = try post("/v3/kv/range", ["key": Self.base64(root), "range_end": Self.base64(Self.prefixEnd(root))])
        var leader: LeaderRecord?
        var members: [MemberRecord] = []
        var incidents: [ClusterIncident] = []
        for kv in answer["kvs"] as? [[String: Any]] ?? [] {
            switch parse(kv) {
            case .leader(let record): leader = record
            case .member(let member): members.append(member)
            case .incident(let incident): incidents.append(incident)
            default: break
            }
        }
        let header = answer["header"] as? [String: Any] ?? [:]
        return (leader, members.sorted { $0.name < $1.name }, incidents, Self.int64(header["revision"]) ?? 0)
    }

    /// Every member as the store holds it, with the seconds its lease has left (nil: the
    /// store did not say), and the leader key: what `vacataire status` shows on any node.
    public func survey() throws(EtcdError) -> (leader: LeaderRecord?, members: [(record: MemberRecord, leaseSecondsLeft: Int64?)]) {
        let answer = try post("/v3/kv/range", ["key": Self.base64(root), "range_end": Self.base64(Self.prefixEnd(root))])
        var leader: LeaderRecord?
        var members: [(MemberRecord, Int64?)] = []
        for kv in answer["kvs"] as? [[String: Any]] ?? [] {
            switch parse(kv) {
            case .leader(let record): leader = record
            case .member(let member):
                let left = Self.int64(kv["lease"]).flatMap { lease in
                    (try? post("/v3/lease/timetolive", ["ID": String(lease)])).flatMap { Self.int64($0["TTL"]) }
                }
                members.append((member, left))
            default: break
            }
        }
        return (leader, members.sorted { $0.0.name < $1.0.name })
    }

    /// Each endpoint's own `/health`: whether it answers and has a quorum, or why not.
    public func endpointHealth() -> [(endpoint: String, healthy: Bool, detail: String)] {
        settings.endpoints.map { endpoint in
            var received = Data()
            do throws(EtcdError) {
                let (code, status) = try transfer(endpoint + "/health", nil, stream: false) { bytes in
                    received.append(contentsOf: bytes)
                    return received.count < 1 << 16
                }
                let text = String(decoding: received, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                let healthy = code == CURLE_OK && status == 200 && text.contains(#""health":"true""#)
                return (endpoint, healthy, healthy ? "healthy" : "HTTP \(status): \(text.prefix(200))")
            } catch {
                return (endpoint, false, error.description)
            }
        }
    }

    /// One change the watch reported.
    public enum Change: Sendable, Equatable {
        case leader(LeaderRecord?)
        case member(MemberRecord)
        case memberGone(String)
        case handoff(HandoffRequest)
        case targetReady(name: String, lease: Int64, from: LeaderRecord)
        case incident(ClusterIncident)
        case incidentGone(IncidentID)
    }

    /// Watches every key of the cluster from `revision` on, handing each batch of changes to
    /// `receive` until it returns false or the stream ends; throws when it cannot be opened
    /// on any endpoint. Blocks for as long as the watch lasts.
    /// `idleLimit`: a stream that carries nothing for that long ends (an endpoint cut off
    /// keeps a watch open forever otherwise); the caller reads again and watches anew.
    public func watch(fromRevision revision: Int64, idleLimit: Duration? = nil, _ receive: @escaping ([Change]) -> Bool) throws(EtcdError) {
        let body: [String: Any] = ["create_request": [
            "key": Self.base64(root), "range_end": Self.base64(Self.prefixEnd(root)), "start_revision": String(revision),
        ]]
        var lastError = EtcdError("no etcd endpoint configured")
        for (index, endpoint) in endpointOrder {
            var pending = Data()
            var opened = false
            let code: CURLcode
            do throws(EtcdError) {
                (code, _) = try transfer(endpoint + "/v3/watch", body, stream: true, idleLimit: idleLimit) { bytes in
                    pending.append(contentsOf: bytes)
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = pending[pending.startIndex..<newline]
                        pending.removeSubrange(pending.startIndex...newline)
                        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                              let result = object["result"] as? [String: Any] else { continue }
                        if !opened { self.session.answered(index) }
                        opened = true
                        let changes = (result["events"] as? [[String: Any]] ?? []).compactMap { self.change($0) }
                        if !changes.isEmpty, !receive(changes) { return false }
                    }
                    return true
                }
            } catch {
                lastError = error
                continue
            }
            if opened { return }  // the stream ended (or the receiver stopped it)
            lastError = EtcdError("watch on \(endpoint) ended before it began (curl \(code.rawValue))")
        }
        throw lastError
    }

    // MARK: - Keys and values

    /// A key-value of the cluster as what it says (a leader key always with its holder),
    /// or nil for a key this client does not use.
    func parse(_ kv: [String: Any]) -> Change? {
        guard let key = (kv["key"] as? String).flatMap(Self.unbase64).map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        let value = (kv["value"] as? String).flatMap(Self.unbase64) ?? Data()
        let fields = (try? JSONSerialization.jsonObject(with: value)) as? [String: Any] ?? [:]
        if key == leaderKey {
            return .leader(LeaderRecord(holder: String(decoding: value, as: UTF8.self), revision: Self.int64(kv["mod_revision"]) ?? 0))
        }
        if key.hasPrefix(root + "incidents/") {
            guard let id = IncidentID(storedText: String(key.dropFirst((root + "incidents/").count))) else { return nil }
            // A deleted incident key carries no value: its id is in the key.
            let kind = (fields["kind"] as? String).flatMap(EventKind.init(rawValue:)) ?? .failover
            let ack = (fields["acknowledgement"] as? [String: Any]).flatMap { written -> ClusterIncident.Acknowledgement? in
                guard let author = written["author"] as? String else { return nil }
                return ClusterIncident.Acknowledgement(
                    author: author, on: written["on"] as? String ?? "?", comment: written["comment"] as? String,
                    expiresIn: (written["expires_in_ms"] as? Int).map { Duration.milliseconds($0) })
            }
            return .incident(ClusterIncident(id: id, kind: kind, owner: fields["owner"] as? String ?? "?", reason: fields["reason"] as? String ?? "",
                                             acknowledgement: ack, openedAt: (fields["opened"] as? Double).map { Date(timeIntervalSince1970: $0) }))
        }
        if key.hasPrefix(root + "members/") {
            // A deleted member key carries no value: its name is in the key.
            let name = String(key.dropFirst((root + "members/").count))
            return .member(MemberRecord(name: name, priority: fields["priority"] as? Int ?? 0, ready: fields["ready"] as? Bool ?? false,
                                        role: fields["role"] as? String, version: fields["version"] as? String, endpoint: fields["endpoint"] as? String))
        }
        guard let from = fields["from"] as? String, let revision = Self.int64(fields["revision"]) else { return nil }
        let holder = LeaderRecord(holder: from, revision: revision)
        if key == root + "handoff-ready", let name = fields["name"] as? String, let lease = Self.int64(fields["lease"]) {
            return .targetReady(name: name, lease: lease, from: holder)
        }
        if key == root + "handoff", let to = fields["to"] as? String {
            let purpose = (fields["purpose"] as? String).flatMap(HandoffPurpose.init(rawValue:)) ?? .failover
            let failing = (fields["failing"] as? [[String: Any]] ?? []).compactMap { check -> FailingCheck? in
                guard let name = check["name"] as? String else { return nil }
                return FailingCheck(name: name, output: check["output"] as? String ?? "failing")
            }
            return .handoff(HandoffRequest(to: to, from: holder, purpose: purpose, failing: failing))
        }
        return nil
    }

    /// One watch event as a change: a deleted leader key is nobody's, a deleted member key a
    /// member gone; a deleted handoff key says nothing.
    func change(_ event: [String: Any]) -> Change? {
        guard let kv = event["kv"] as? [String: Any], let parsed = parse(kv) else { return nil }
        guard (event["type"] as? String) == "DELETE" else { return parsed }
        switch parsed {
        case .leader: return .leader(nil)
        case .member(let member): return .memberGone(member.name)
        case .incident(let incident): return .incidentGone(incident.id)
        case .memberGone, .handoff, .targetReady, .incidentGone: return nil
        }
    }

    func claim(compare: [String: Any], name: String, lease: Int64) throws(EtcdError) -> (won: Bool, leader: LeaderRecord?) {
        let answer = try post("/v3/kv/txn", [
            "compare": [compare],
            "success": [["request_put": ["key": Self.base64(leaderKey), "value": Self.base64(name), "lease": String(lease)]]],
            "failure": [["request_range": ["key": Self.base64(leaderKey)]]],
        ])
        // A transaction whose comparison failed answers without `succeeded`.
        let won = answer["succeeded"] as? Bool ?? false
        if won {
            let header = answer["header"] as? [String: Any] ?? [:]
            return (true, LeaderRecord(holder: name, revision: Self.int64(header["revision"]) ?? 0))
        }
        let responses = answer["responses"] as? [[String: Any]] ?? []
        let range = responses.first?["response_range"] as? [String: Any]
        let kv = (range?["kvs"] as? [[String: Any]])?.first
        if let kv, case .leader(let record) = parse(kv) { return (false, record) }
        return (false, nil)
    }

    // MARK: - Transport

    /// POSTs `body` to the first endpoint that answers; etcd's own errors (a JSON `error`,
    /// an HTTP status other than 200) are errors too.
    func post(_ path: String, _ body: [String: Any]) throws(EtcdError) -> [String: Any] {
        do {
            return try postOnce(path, body)
        } catch where settings.user != nil && Self.needsSignIn(error) {
            // The token expired (etcd forgets them after a while, and at its restarts).
            try signIn()
            return try postOnce(path, body)
        }
    }

    /// Whether etcd refused a request for want of a valid token.
    static func needsSignIn(_ error: EtcdError) -> Bool {
        ["invalid auth token", "user name is empty", "authentication failed"].contains { error.description.contains($0) }
    }

    /// Signs in as the configured user; the token goes with every request after.
    func signIn() throws(EtcdError) {
        guard let user = settings.user, let file = settings.passwordFile else { return }
        guard let password = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw EtcdError("cannot read the etcd password file \(file)")
        }
        session.signedIn(nil)
        let answer = try postOnce("/v3/auth/authenticate", ["name": user, "password": password.trimmingCharacters(in: .newlines)])
        guard let token = answer["token"] as? String else { throw EtcdError("etcd's sign-in of user \(user) answered no token") }
        session.signedIn(token)
    }

    func postOnce(_ path: String, _ body: [String: Any]) throws(EtcdError) -> [String: Any] {
        if settings.user != nil, session.authToken == nil, path != "/v3/auth/authenticate" { try signIn() }
        var lastError = EtcdError("no etcd endpoint configured")
        var storeAnswered = false
        var reasons: [String] = []
        for (index, endpoint) in endpointOrder {
            var received = Data()
            do throws(EtcdError) {
                let (code, status) = try transfer(endpoint + path, body, stream: false) { bytes in
                    received.append(contentsOf: bytes)
                    return received.count < 1 << 20
                }
                guard code == CURLE_OK else { throw EtcdError("\(endpoint): curl error \(code.rawValue)") }
                guard let object = try? JSONSerialization.jsonObject(with: received) as? [String: Any] else {
                    throw EtcdError("\(endpoint)\(path) answered HTTP \(status), not JSON: \(String(decoding: received.prefix(200), as: UTF8.self))", storeAnswered: true)
                }
                if let error = object["error"] as? String ?? (object["message"] as? String).flatMap({ object["code"] != nil ? $0 : nil }) {
                    throw EtcdError("\(endpoint)\(path): \(error)", storeAnswered: true)
                }
                guard status == 200 else { throw EtcdError("\(endpoint)\(path) answered HTTP \(status)", storeAnswered: true) }
                session.answered(index)
                return object
            } catch {
                lastError = error
                storeAnswered = storeAnswered || error.storeAnswered
                reasons.append(error.description)
            }
        }
        // Every endpoint failed: say each one's reason, and whether any host answered (the
        // store is there without a quorum) or none did (this node is cut off from it).
        if reasons.count > 1 { lastError = EtcdError(reasons.joined(separator: "; "), storeAnswered: storeAnswered) }
        lastError.storeAnswered = storeAnswered
        throw lastError
    }

    /// One HTTP request with libcurl; `stream`: no overall timeout (a watch), only the connect's.
    /// `body` nil: a GET.
    func transfer(_ url: String, _ body: [String: Any]?, stream: Bool, idleLimit: Duration? = nil,
                  _ receive: @escaping (UnsafeRawBufferPointer) -> Bool) throws(EtcdError) -> (CURLcode, status: Int) {
        guard let easy = CurlEasy() else { throw EtcdError("libcurl cannot be initialised") }
        easy.set(CURLOPT_URL, url)
        if let body {
            guard let json = try? JSONSerialization.data(withJSONObject: body) else { throw EtcdError("cannot encode the request to \(url)") }
            easy.set(CURLOPT_POSTFIELDS, String(decoding: json, as: UTF8.self))
        }
        easy.set(CURLOPT_HTTPHEADER, list: ["Content-Type: application/json"] + (session.authToken.map { ["Authorization: \($0)"] } ?? []))
        let milliseconds = Int(max(1, settings.requestTimeout.milliseconds))
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        if !stream { easy.set(CURLOPT_TIMEOUT_MS, milliseconds) }
        if let idleLimit {
            easy.set(CURLOPT_LOW_SPEED_LIMIT, 1)
            easy.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(idleLimit.wholeSecondsRoundedUp)))
        }
        if let caFile = settings.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if let certificateFile = settings.certificateFile { easy.set(CURLOPT_SSLCERT, certificateFile) }
        if let keyFile = settings.keyFile { easy.set(CURLOPT_SSLKEY, keyFile) }
        let code = easy.perform(streaming: receive)
        if code != CURLE_OK, code != CURLE_WRITE_ERROR, !(stream && code == CURLE_OPERATION_TIMEDOUT) {
            // A refused connection: the host is there and etcd is not (stopped, crashed).
            let refused = code == CURLE_COULDNT_CONNECT && easy.osErrno == ECONNREFUSED
            throw EtcdError("\(url): \(easy.errorText(code))", storeAnswered: refused || easy.responseCode != 0)
        }
        return (code, easy.responseCode)
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func unbase64(_ text: String) -> Data? { Data(base64Encoded: text) }

    /// A 64-bit number as the gateway writes it: a string (or a number from a lenient server).
    static func int64(_ value: Any?) -> Int64? {
        if let text = value as? String { return Int64(text) }
        if let number = value as? Int { return Int64(number) }
        return nil
    }

    /// The end of the range of keys that start with `prefix` (its last byte plus one).
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\0"
    }
}

/// What went wrong talking to etcd, in words: every kind of failure is a failed request to
/// the lease coordinator.
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    /// Some etcd host answered (an error, or a refused connection): the store is reachable
    /// and unavailable, rather than this node cut off from it.
    public var storeAnswered: Bool

    public init(_ description: String, storeAnswered: Bool = false) {
        self.description = description
        self.storeAnswered = storeAnswered
    }
}
