/// The end of a command's output, kept in bounded memory however much it prints.
///
/// Holds at most `2 × byteLimit` bytes; `text` is the last `lineLimit` lines within the last
/// `byteLimit` bytes, as valid UTF-8 (a character cut at the front is dropped, invalid
/// bytes become U+FFFD).
public struct OutputTail: Sendable {
    public static let defaultByteLimit = 2048
    public static let defaultLineLimit = 20

    /// The most bytes `text` holds.
    public let byteLimit: Int
    /// The most lines `text` holds.
    public let lineLimit: Int

    private var buffer: [UInt8] = []
    /// Every byte the command wrote, kept or not.
    public private(set) var totalBytes = 0

    /// A tail of the last `lineLimit` lines within the last `byteLimit` bytes (20 lines and
    /// 2 KiB for an action's output; more for an agent's meta-data, read whole).
    public init(byteLimit: Int = OutputTail.defaultByteLimit, lineLimit: Int = OutputTail.defaultLineLimit) {
        self.byteLimit = byteLimit
        self.lineLimit = lineLimit
    }

    public mutating func append(_ chunk: UnsafeRawBufferPointer) {
        totalBytes += chunk.count
        if chunk.count >= byteLimit {
            buffer = Array(chunk.suffix(byteLimit))
            return
        }
        buffer.append(contentsOf: chunk)
        if buffer.count > 2 * byteLimit {
            buffer.removeFirst(buffer.count - byteLimit)
        }
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public var text: String {
        var tail = buffer.suffix(byteLimit)
        if tail.count < totalBytes {
            // Cut inside the output: drop a partial character at the front.
            while let first = tail.first, first & 0b1100_0000 == 0b1000_0000 { tail = tail.dropFirst() }
        }
        // The last `lineLimit` lines (a final newline does not start another line).
        var newlines = 0
        var start = tail.startIndex
        var index = tail.endIndex
        if index > tail.startIndex, tail[tail.index(before: index)] == UInt8(ascii: "\n") {
            index = tail.index(before: index)
        }
        while index > tail.startIndex {
            index = tail.index(before: index)
            if tail[index] == UInt8(ascii: "\n") {
                newlines += 1
                if newlines == lineLimit {
                    start = tail.index(after: index)
                    break
                }
            }
        }
        return String(decoding: tail[start...], as: UTF8.self)
    }
}
