/// Why a notification did not reach one destination, in words an operator can act on.
///
/// The description always names the destination, e.g.
/// `connection refused by 127.0.0.1:2525`.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Broad classes, for retry decisions and metrics.
    public enum Kind: String, Sendable {
        case connection, timeout, tls, authentication, rejected, configuration, internalError = "internal"
        /// The agent ran short of descriptors or memory for a moment (EMFILE, ENOMEM...): retried.
        case resources
    }

    public var kind: Kind
    public var message: String
    /// The server's reply code, when it refused the message (550, 451...).
    public var replyCode: Int?

    public init(_ kind: Kind, _ message: String, replyCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.replyCode = replyCode
    }

    /// Trying again cannot help: the server refused this message for good (a 5xx reply
    /// such as 550 for an unknown recipient) or the configuration is wrong. Everything else
    /// (refused connection, timeout, TLS, a 4xx reply, a failed login whose password file
    /// may be fixed meanwhile, a process out of descriptors or memory, a host name that
    /// does not resolve now) is worth a retry.
    public var isPermanent: Bool {
        switch kind {
        case .rejected: return (replyCode ?? 0) >= 500
        case .configuration: return true
        default: return false
        }
    }

    public var description: String { message }
}
