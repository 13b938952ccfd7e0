import Foundation

/// What a pair shows a test beyond its agents' logs: the mails and traps that arrived since a
/// mark; in the namespace topology, lb's samples and HAProxy's view; and waiting for them.
extension PairFixture {
    /// Everything sampled so far.
    public var samples: ServiceSamples {
        ServiceSamples(file: lab?.samplesFile ?? "/nonexistent")
    }

    /// The latest sample, if any.
    public var lastSample: ServiceSamples.Sample? {
        samples.samples.last
    }

    /// A point in the run: what had arrived so far, and when (`NotificationReceivers.mark()`).
    public typealias Mark = LabMark

    /// Waits until the notifications of what happened so far are out: every running agent
    /// owes no delivery, holds no notice back and awaits no delivery confirmation from its
    /// peer (`vacataire status`), and neither the sink nor the trap receiver got anything
    /// since the previous look. Returns whether that came within `timeout` seconds. What
    /// happens later (a check that will fail, a restart) is the test's to wait for.
    @discardableResult
    public func waitUntilNotificationsSettled(timeout: TimeInterval = 30) -> Bool {
        var last = (-1, -1)
        return Wait.until(timeout: timeout, every: 0.2) {
            let now = (sink.messages().count, traps.notifications().count)
            defer { last = now }
            return now == last && Node.allCases.allSatisfy(owesNoNotification)
        }
    }

    /// Whether the node's agent is stopped, or runs and owes nothing: no pending delivery,
    /// no notice held back, no confirmation awaited.
    public func owesNoNotification(_ node: Node) -> Bool {
        guard isAgentRunning(node) else { return true }
        guard let status = statusObject(node) else { return false }
        return ["outboxPending", "heldBackNotices", "confirmationsAwaited"].allSatisfy { (status[$0] as? Int) == 0 }
    }

    /// Polls `condition` every 50 ms; returns whether it held within `timeout` seconds.
    @discardableResult
    public func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        Wait.until(timeout: timeout, condition)
    }

    /// Whether lb's latest sample shows HAProxy's frontend answering with `node`'s full page.
    /// `since`: only a sample taken after it counts (not one from before a crash).
    public func frontendServes(_ node: Node, since: Date? = nil) -> Bool {
        guard let sample = lastSample, since.map({ sample.time > $0 }) ?? true else { return false }
        return sample.frontend.answers && sample.frontend.who == node.rawValue && sample.frontend.bytes == Self.pageBytes
    }

    /// HAProxy's count of UP to DOWN transitions of the node's server (`show stat`'s
    /// `chkdown`: its own check or the agent's `down`), or nil when the stats socket does
    /// not answer. A sample can fall between two polls; this cannot.
    public func haproxyDownTransitions(_ node: Node) -> Int? {
        guard let csv = try? LoopbackClient.unix(path: lab?.statsSocket ?? "/nonexistent", send: "show stat\n") else { return nil }
        let lines = csv.split(separator: "\n").map(String.init)
        guard let header = lines.first, header.hasPrefix("# ") else { return nil }
        let columns = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for line in lines.dropFirst() {
            let row = Dictionary(zip(columns, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init))) { first, _ in first }
            if row["pxname"] == "pair", row["svname"] == node.rawValue { return row["chkdown"].flatMap { Int($0) } }
        }
        return nil
    }
}
