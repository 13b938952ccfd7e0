extension SNMPChannel {
    /// `text` as a DisplayString value: at most 255 octets, cut at a character boundary and
    /// marked with `…`, as the notifications' varbinds carry it.
    public static func displayString(_ text: String) -> [UInt8] {
        displayStringBytes(text)
    }
}
