import Foundation

/// The `control:` section: the Unix socket through which the CLI talks to the daemon
/// (Docs/cli.md). Anyone who can connect may read the status; only root and members of
/// `group` may change anything.
public struct ControlConfig: Sendable, Equatable {
    /// The socket's path.
    public var socket: String
    /// The group allowed to change state (and, with the default mode, to connect at all).
    public var group: String?
    /// The socket file's permissions: 0660 by default; 0666 lets every local user read the status.
    public var mode: Int

    public static let defaultSocket = "/run/vacataire/control.sock"

    public init(socket: String = ControlConfig.defaultSocket, group: String? = nil, mode: Int = 0o660) {
        self.socket = socket
        self.group = group
        self.mode = mode
    }

    static func read(_ reader: ConfigReader, base: String) -> ControlConfig {
        var control = ControlConfig()
        if let socket = reader.optional("socket", String.self) {
            if socket.isEmpty {
                reader.problem("socket", "empty; give the socket's path, such as \(ControlConfig.defaultSocket)")
            } else {
                control.socket = Config.resolve(socket, base: base)
            }
        }
        if let group = reader.optional("group", String.self) {
            if getgrnam(group) == nil {
                reader.problem("group", "no such group on this machine: `\(group)`")
            }
            control.group = group
        }
        if let mode = reader.optional("mode", String.self) {
            if let value = Int(mode, radix: 8), (0...0o777).contains(value) {
                control.mode = value
                if value & 0o111 != 0 {
                    // Execute bits mean nothing on a socket: such a mode was written for a
                    // directory, or as "open to everyone" without thinking it through.
                    reader.problem("mode", "`\(mode)` sets execute bits, which mean nothing on a socket; use \"0660\" (root and `group`), or \"0666\" to let every local user read the status (changes still need root or `group`)")
                }
            } else {
                reader.problem("mode", "expected an octal file mode such as \"0660\", found `\(mode)`")
            }
        }
        reader.finish()
        return control
    }
}
