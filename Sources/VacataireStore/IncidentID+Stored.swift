import VacataireCore

extension IncidentID {
    /// Reads back the text form (`e7`, `e7-peer-lost`) that the store writes.
    public init?(storedText text: String) {
        guard text.hasPrefix("e") else { return nil }
        let rest = text.dropFirst()
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let epoch = UInt64(digits) else { return nil }
        let tail = rest.dropFirst(digits.count)
        if tail.isEmpty {
            self.init(epoch: epoch, topic: .roleChange)
            return
        }
        guard tail.hasPrefix("-"), let topic = Topic(rawValue: String(tail.dropFirst())), topic != .roleChange else {
            return nil
        }
        self.init(epoch: epoch, topic: topic)
    }
}

extension UInt64 {
    /// SQLite integers are signed; epochs are stored bit for bit (they never reach 2^63).
    var storedValue: Int64 { Int64(bitPattern: self) }

    init(storedValue: Int64) {
        self.init(bitPattern: storedValue)
    }
}
