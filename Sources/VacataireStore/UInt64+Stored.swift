import VacataireCore

extension UInt64 {
    /// SQLite integers are signed; epochs are stored bit for bit (they never reach 2^63).
    var storedValue: Int64 { Int64(bitPattern: self) }

    init(storedValue: Int64) {
        self.init(bitPattern: storedValue)
    }
}
