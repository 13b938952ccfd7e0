extension IncidentID {
    /// Reads back the text form (`e7`, `e7-peer-lost`, `e7-peer-lost-2`) that `description`
    /// writes, as the store and the peer link carry it.
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
        guard tail.hasPrefix("-") else { return nil }
        var name = String(tail.dropFirst())
        var occurrence = 1
        if let dash = name.lastIndex(of: "-"), let count = Int(name[name.index(after: dash)...]), count > 1,
           Topic(rawValue: String(name[..<dash])) != nil {
            occurrence = count
            name = String(name[..<dash])
        }
        guard let topic = Topic(rawValue: name), topic != .roleChange else { return nil }
        self.init(epoch: epoch, topic: topic, occurrence: occurrence)
    }
}

