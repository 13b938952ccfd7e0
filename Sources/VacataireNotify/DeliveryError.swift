/// Why a notification did not reach one destination, in words an operator can act on.
///
/// The description always names the destination, e.g.
/// `connection refused by 127.0.0.1:2525`.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Broad classes, for retry decisions and metrics.
    public enum Kind: String, Sendable {
        case connection, timeout, tls, authentication, rejected, configuration, internalError = "internal"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
