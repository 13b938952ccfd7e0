import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VacataireCore

/// `vacataire init`: writes a commented configuration for each node of a new pair and a
/// fresh shared peer key, from a few flags; both files pass `check-config` as written.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented configuration for each node: a pair with a fresh shared peer key, or an etcd cluster.",
        discussion: """
            Mode pair (the default): writes MASTER.yaml, STANDBY.yaml and peer.key (mode 0600) into the output directory. \
            Copy each YAML file to its node as /etc/vacataire/vacataire.yaml, and peer.key beside it \
            on both nodes. A safe pair pages someone (--mail-to, --nms) and has a witness (--witness); \
            init refuses to write a pair without them unless --no-pages or --no-witness says so on \
            purpose. --check-url is the service's page, checked on the node that serves it; its \
            host is replaced by each node's address, and each node probes its peer's before taking \
            over. In --state-dir and --control-socket, %n stands for the node's name. \
            Mode etcd (--mode etcd --nodes a,b,c --etcd URL,...): writes one NAME.yaml per node, \
            the first named with the highest priority (it serves when all are healthy); a node \
            given as NAME=ADDRESS has its check URL's host replaced by ADDRESS (by NAME otherwise).
            """
    )

    @Option(help: "pair (two nodes over the peer link) or etcd (2 to 9 nodes electing one through a lease in etcd).")
    var mode = "pair"

    @Option(help: "The pair's (or cluster's) name, the same on every node.")
    var cluster = "pair"

    @Option(help: ArgumentHelp("The configured master's node name (mode pair).", valueName: "NAME"))
    var master: String?

    @Option(help: ArgumentHelp("The master's address for the peer link, HOST[:PORT] (port 7411 by default).", valueName: "HOST[:PORT]"))
    var masterAddress: String?

    @Option(help: ArgumentHelp("The configured standby's node name (mode pair).", valueName: "NAME"))
    var standby: String?

    @Option(help: ArgumentHelp("The standby's address for the peer link, HOST[:PORT].", valueName: "HOST[:PORT]"))
    var standbyAddress: String?

    @Option(help: ArgumentHelp("Mode etcd: the nodes, best first, comma-separated: NAME or NAME=ADDRESS.", valueName: "NODES"))
    var nodes: String?

    @Option(help: ArgumentHelp("Mode etcd: the etcd cluster's client URLs, comma-separated.", valueName: "URLS"))
    var etcd: String?

    @Option(help: ArgumentHelp("The shell command that starts the service (and returns once it serves).", valueName: "COMMAND"))
    var start: String

    @Option(help: ArgumentHelp("The shell command that stops the service.", valueName: "COMMAND"))
    var stop: String

    @Option(help: ArgumentHelp("A page that answers 200 on each node while it can serve; its host is replaced by each node's address.", valueName: "URL"))
    var checkURL: String

    @Option(help: ArgumentHelp("How often the service is checked.", valueName: "DURATION"))
    var checkInterval = "5s"

    @Option(help: ArgumentHelp("Who is paged by email (repeat for several).", valueName: "ADDRESS"))
    var mailTo: [String] = []

    @Option(help: ArgumentHelp("The sender of the pages (default: vacataire@ the first recipient's domain).", valueName: "ADDRESS"))
    var mailFrom: String?

    @Option(help: ArgumentHelp("The SMTP server the pages go through.", valueName: "URL"))
    var smtp = "smtp://localhost:25"

    @Option(help: ArgumentHelp("STARTTLS with the SMTP server: required, opportunistic or off (default: required, opportunistic for a server on this host).", valueName: "POLICY"))
    var smtpStarttls: String?

    @Option(help: ArgumentHelp("The SMTP server's AUTH user name (with --smtp-password-file).", valueName: "NAME"))
    var smtpUser: String?

    @Option(help: ArgumentHelp("A file holding the SMTP password (mode 0600), read by the agent.", valueName: "FILE"))
    var smtpPasswordFile: String?

    @Flag(help: "Page nobody, on purpose (no --mail-to, no --nms).")
    var noPages = false

    @Option(help: ArgumentHelp("An NMS that receives SNMPv2c traps, HOST[:PORT] (repeat for several).", valueName: "HOST[:PORT]"))
    var nms: [String] = []

    @Option(help: "The SNMPv2c community of the traps.")
    var community = "public"

    @Option(help: ArgumentHelp("A witness that tells an isolated standby from a dead master: tcp://HOST:PORT or an http:// URL (a host both nodes reach).", valueName: "URL"))
    var witness: String?

    @Flag(help: "No witness, on purpose: the standby then never takes over when the master's machine dies (no_witness: stay).")
    var noWitness = false

    @Option(help: ArgumentHelp("Each node's state directory (%n: the node's name).", valueName: "DIRECTORY"))
    var stateDir = "/var/lib/vacataire"

    @Option(help: ArgumentHelp("Each node's control socket (%n: the node's name).", valueName: "PATH"))
    var controlSocket = ControlConfig.defaultSocket

    @Option(name: .shortAndLong, help: ArgumentHelp("Where the files are written.", valueName: "DIRECTORY"))
    var outputDirectory = "."

    @Flag(help: "Replace files that already exist (a new key: copy it to both nodes).")
    var force = false

    func validate() throws {
        guard let url = URLComponents(string: checkURL), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw ValidationError("--check-url: expected an http:// or https:// URL, found `\(checkURL)`")
        }
        if let smtpStarttls, !["required", "opportunistic", "off"].contains(smtpStarttls) {
            throw ValidationError("--smtp-starttls: expected required, opportunistic or off, found `\(smtpStarttls)`")
        }
        if (smtpUser == nil) != (smtpPasswordFile == nil) {
            throw ValidationError("--smtp-user and --smtp-password-file go together")
        }
        switch mode {
        case "pair": try validatePair()
        case "etcd": try validateCluster()
        default: throw ValidationError("--mode: expected pair or etcd, found `\(mode)`")
        }
        let pages = !mailTo.isEmpty || !nms.isEmpty
        if !pages, !noPages {
            throw ValidationError("nobody would be paged: give --mail-to ADDRESS and/or --nms HOST, or --no-pages to page nobody on purpose")
        }
        if pages, noPages {
            throw ValidationError("--no-pages with --mail-to or --nms: choose one")
        }
        if mode == "pair", let master, let standby {
            if witness == nil, !noWitness {
                throw ValidationError("without a witness, if \(master)'s machine dies \(standby) will not take over: give --witness tcp://HOST:PORT (a host both nodes reach: a router, a DNS server), or --no-witness to accept that")
            }
            if witness != nil, noWitness {
                throw ValidationError("--no-witness with --witness: choose one")
            }
        }
    }

    func validateCluster() throws {
        for (flag, given) in [("--master", master), ("--master-address", masterAddress), ("--standby", standby), ("--standby-address", standbyAddress),
                              ("--witness", witness)] where given != nil {
            throw ValidationError("\(flag) is for mode pair; with --mode etcd name the nodes with --nodes")
        }
        guard let nodes else { throw ValidationError("--mode etcd needs --nodes NAME,NAME,... (2 to 9 nodes, best first)") }
        let members = ClusterNode.parse(nodes)
        guard (2...9).contains(members.count) else {
            throw ValidationError("--nodes: expected 2 to 9 nodes, found \(members.count) in `\(nodes)`")
        }
        if let twice = Dictionary(grouping: members, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("--nodes names `\(twice)` twice")
        }
        guard let etcd, !etcdEndpoints(etcd).isEmpty else {
            throw ValidationError("--mode etcd needs --etcd http://HOST:2379,... (the etcd cluster's client URLs)")
        }
    }

    func etcdEndpoints(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validatePair() throws {
        if nodes != nil || etcd != nil {
            throw ValidationError("--nodes and --etcd are for --mode etcd; a pair names --master and --standby")
        }
        guard let master, let standby, let masterAddress, let standbyAddress else {
            throw ValidationError("a pair needs --master NAME --master-address HOST --standby NAME --standby-address HOST (or --mode etcd --nodes ...)")
        }
        guard master != standby else {
            throw ValidationError("--master and --standby must name two different nodes, both are `\(master)`")
        }
        for (flag, value) in [("--master-address", masterAddress), ("--standby-address", standbyAddress)] where PairNode.split(value) == nil {
            throw ValidationError("\(flag): expected HOST or HOST:PORT or [IPv6]:PORT, found `\(value)`")
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: outputDirectory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let written: [(name: String, text: String)]
        let names: [String]
        if mode == "etcd" {
            let members = ClusterNode.parse(nodes ?? "")
            names = members.map(\.name)
            written = members.enumerated().map { index, member in
                (member.name, clusterConfiguration(member, priority: 10 * (members.count - index)))
            }
        } else {
            let pair = [
                PairNode(name: master ?? "", role: "master", address: masterAddress ?? ""),
                PairNode(name: standby ?? "", role: "standby", address: standbyAddress ?? ""),
            ]
            names = pair.map(\.name)
            written = [(pair[0].name, configuration(pair[0], peer: pair[1])), (pair[1].name, configuration(pair[1], peer: pair[0]))]
        }
        let files = names.map { "\(directory)/\($0).yaml" } + (mode == "etcd" ? [] : ["\(directory)/peer.key"])
        if !force, let existing = files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            StandardError.print("\(existing) exists; vacataire init replaces nothing without --force")
            throw ExitCode(.failed)
        }
        do {
            if mode != "etcd" { try FreshPeerKey.write(to: "\(directory)/peer.key") }
            for (name, text) in written {
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name).yaml"))
            }
        } catch {
            StandardError.print("cannot write into \(directory): \(error.localizedDescription)")
            throw ExitCode(.failed)
        }
        // What init writes must pass check-config as written; a flag value the
        // configuration refuses (a bad name or address) is reported the same way.
        var problems: [String] = []
        for name in names {
            do {
                _ = try Config.load(path: "\(directory)/\(name).yaml")
            } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else {
            files.forEach { try? FileManager.default.removeItem(atPath: $0) }
            StandardError.print(problems.joined(separator: "\n"))
            StandardError.print("nothing written: fix the flags above")
            throw ExitCode(.failed)
        }
        for file in files {
            print("wrote \(file)")
        }
        if mode == "etcd" {
            print("next: copy each NAME.yaml to its node as /etc/vacataire/vacataire.yaml, then on each:")
            print("      vacataire check-config --strict /etc/vacataire/vacataire.yaml and systemctl enable --now vacataire")
            print("then prove it: vacataire notify-test             (a test page reaches every destination, on each node)")
            print("               vacataire status                  (on any node: every member, its lease, each etcd endpoint)")
            return
        }
        let master = master ?? "", standby = standby ?? ""
        print("next: copy \(master).yaml to \(master) and \(standby).yaml to \(standby) as /etc/vacataire/vacataire.yaml,")
        print("      peer.key beside it on both (mode 0600), then on each: vacataire check-config --strict /etc/vacataire/vacataire.yaml")
        print("      and systemctl enable --now vacataire")
        print("then prove it: vacataire notify-test             (a test page reaches every destination, on each node)")
        print("               vacataire status                  (on each node: the peer heard, the checks passing)")
        print("               vacataire doctor                  (once both run: the peer, the witness, the probe, every destination)")
    }

    /// One node's commented configuration.
    func configuration(_ node: PairNode, peer: PairNode) -> String {
        let probeURL = peer.url(replacingHostOf: self.checkURL)
        let guardLines = witness.map { "  witness: \(quoted($0))\n" }
            ?? """
              # --no-witness: two nodes alone cannot tell a dead peer from a cut link, so the
              # standby never takes over on silence; it pages and waits (Docs/failover.md).
              # check-config warns about it; a witness (tcp://ROUTER:53) takes over safely.
              no_witness: stay

            """
        return """
            # Le Vacataire: node \(node.name), configured \(node.role) of the pair \(cluster).
            # Written by `vacataire init`; the peer \(peer.name) has its own file, the same key.
            \(commonSections(name: node.name, checkURL: node.url(replacingHostOf: checkURL)))
            failover:
              role: \(node.role)
              peer:
                name: \(quoted(peer.name))
                addresses: [\(quoted(peer.endpoint))]   # add a second path (a private link) if you have one
              listen: {address: \(quoted(node.host)), port: \(node.port)}
              # The shared HMAC key: the same file on both nodes, mode 0600.
              keys: [{id: 1, file: peer.key}]
              heartbeat_interval: 500ms
              dead_after: 15s               # silence before the standby may take over
              self_fence_after: 3s          # silence before a cut-off active node stops its service
              actions:                      # /bin/sh -c, with VACATAIRE_NODE, VACATAIRE_ROLE, ... set
                start: {command: \(quoted(start)), timeout: 30s}
                stop: {command: \(quoted(stop)), timeout: 10s}
              # The peer's service as the load balancer sees it: while it answers, never take over.
              service_probe: \(quoted(probeURL))
            \(guardLines)
            """
    }

    /// One member's commented configuration in mode etcd.
    func clusterConfiguration(_ node: ClusterNode, priority: Int) -> String {
        let endpoints = etcdEndpoints(etcd ?? "").map(quoted).joined(separator: ", ")
        return """
            # Le Vacataire: node \(node.name) of the cluster \(cluster), mode etcd (Docs/etcd.md).
            # Written by `vacataire init`; every member has its own file, the same but for its name
            # and priority.
            \(commonSections(name: node.name, checkURL: node.url(replacingHostOf: checkURL)))
            failover:
              mode: etcd
              etcd:
                endpoints: [\(endpoints)]
                priority: \(priority)               # the highest ready member serves, and failback brings it back
                # ttl defaults to the shortest that lets a leader cut from etcd stop its service
                # before its lease can expire (2 × (renew_interval + request_timeout) + stop timeout + 0.5s)
                renew_interval: 1s
                request_timeout: 1s
              actions:                      # /bin/sh -c, with VACATAIRE_NODE, VACATAIRE_ROLE, VACATAIRE_EPOCH, ... set
                start: {command: \(quoted(start)), timeout: 30s}
                stop: {command: \(quoted(stop)), timeout: 10s}

            """
    }

    /// What every node's file shares, whatever the mode: identity, state, control, pages, checks.
    func commonSections(name: String, checkURL: String) -> String {
        let loopbackSMTP = ["localhost", "127.0.0.1", "::1"].contains(URLComponents(string: smtp)?.host ?? "")
        let starttls = smtpStarttls.map { $0 == "off" ? "\"off\"" : $0 }
            ?? (loopbackSMTP ? "opportunistic       # a local relay; use required for a remote server" : "required")
        let auth = smtpUser.map { user in
            "\n          username: \(quoted(user))\n          password_file: \(quoted(smtpPasswordFile ?? ""))"
        } ?? ""
        let email = mailTo.isEmpty
            ? "  email: []                  # --no-pages: nobody is paged by email\n"
            : """
              email:
                - name: oncall
                  url: \(quoted(smtp))
                  from: \(quoted(sender))
                  to: [\(mailTo.map(quoted).joined(separator: ", "))]
                  starttls: \(starttls)\(auth)

            """
        let snmp = nms.isEmpty
            ? "  snmp: []                   # no NMS receives traps\n"
            : "  snmp:\n" + nms.enumerated().map { index, target in
                let (host, port) = PairNode.split(target, defaultPort: 162) ?? (target, 162)
                return "    - {name: \(quoted("nms-\(index + 1)")), address: \(quoted(host)), port: \(port), version: 2c, community: \(quoted(community))}\n"
            }.joined()
        let node = PairNode(name: name, role: "", address: "")
        return """
            # Check:   vacataire check-config THIS_FILE     (Docs/getting-started.md)
            # Relative paths are relative to this file's directory.

            node:
              name: \(quoted(node.name))
              cluster: \(quoted(cluster))

            # Role, epoch, incidents, event history and the notification outbox.
            state_dir: \(quoted(node.substitute(stateDir)))

            # The CLI's socket: everyone may read the status, root and `group` may act.
            control:
              socket: \(quoted(node.substitute(controlSocket)))
            \(getgrnam("vacataire") != nil ? "  group: vacataire" : "  # group: vacataire          # the package creates the group; uncomment once it exists")

            # Pages: email to the people on call, SNMP traps to the NMS (Docs/notifications.md).
            notify:
            \(email)\(snmp)
            # Whether the service works: an http check runs where the service runs (the active
            # node, and a node verifying a start), never on the standby. A critical check that
            # fails `fall` times in a row on the active node hands the service over to the
            # peer (Docs/checks.md, "Scope").
            checks:
              - name: service
                kind: http
                url: \(quoted(checkURL))
                expect_status: 200
                interval: \(quoted(checkInterval))   # each run times out after min(5s, interval)
                rise: 2
                fall: 3

            """
    }

    /// The pages' sender: --mail-from, or vacataire at the first recipient's domain.
    var sender: String {
        mailFrom ?? "vacataire@" + (mailTo.first?.split(separator: "@").last.map(String.init) ?? "localhost")
    }

    /// A YAML double-quoted scalar (JSON's string syntax is YAML's), whatever the text holds.
    func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// One member of an etcd cluster as `init` was told: its name, and the address that
/// replaces the check URL's host (its name when none is given).
struct ClusterNode {
    var name: String
    var host: String?

    /// `a,b,c` or `a=198.51.100.1,b=...`.
    static func parse(_ text: String) -> [ClusterNode] {
        text.split(separator: ",").map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return ClusterNode(name: parts[0], host: parts.count > 1 ? parts[1] : nil)
        }
    }

    func url(replacingHostOf url: String) -> String {
        PairNode(name: name, role: "", address: host ?? name).url(replacingHostOf: url)
    }
}

/// One node of the pair as `init` was told: its name, role and peer-link address.
struct PairNode {
    var name: String
    var role: String
    var host: String
    var port: Int

    init(name: String, role: String, address: String) {
        self.name = name
        self.role = role
        (host, port) = Self.split(address) ?? (address, 7411)
    }

    /// `host:port` as the peer link writes it.
    var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `%n` replaced by the node's name.
    func substitute(_ text: String) -> String {
        text.replacingOccurrences(of: "%n", with: name)
    }

    /// `url` with this node's host in place of its own.
    func url(replacingHostOf url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.host = host.contains(":") ? "[\(host)]" : host
        return components.string ?? url
    }

    /// HOST, HOST:PORT or [IPv6]:PORT; nil when the port is not a number from 1 to 65535.
    static func split(_ text: String, defaultPort: Int = 7411) -> (String, Int)? {
        var host = text
        var portText: Substring?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        guard let portText else { return (host, defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (host, port)
    }
}

/// A fresh shared peer key: 32 random bytes as 64 hex digits (as `openssl rand -hex 32`
/// writes them), created with mode 0600 from the start.
enum FreshPeerKey {
    static func write(to path: String) throws {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined() + "\n"
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "\(path): \(String(cString: strerror(errno)))"])
        }
        defer { close(fd) }
        let bytes = Array(hex.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(path): \(String(cString: strerror(errno)))"])
        }
    }
}
