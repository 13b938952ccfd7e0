/// Epochs, the fencing token of every role change: each change moves to a higher one, and
/// messages of an older one are ignored.
public enum Epoch {
    /// The largest epoch a peer message or the store may carry. No pair makes 2^62 role
    /// changes; the bound keeps every epoch a decision derives from them below `UInt64.max`
    /// and within SQLite's signed integers.
    public static let largest: UInt64 = 1 << 62

    /// The epoch after `epoch`. It stays at `UInt64.max` rather than trap there, so that no
    /// value, however it was reached, can stop the machine.
    public static func after(_ epoch: UInt64) -> UInt64 {
        epoch < .max ? epoch + 1 : .max
    }

    /// The first epoch from `epoch` on at which a node of `role` may become active: the
    /// master activates at odd epochs, the standby at even ones. Two nodes that decide at
    /// the same instant on what they last heard of each other (the master taking the
    /// service from a standby it hears, the standby taking over from a master it cannot
    /// hear) can never pick the same epoch.
    public static func activation(atLeast epoch: UInt64, for role: ConfiguredRole) -> UInt64 {
        epoch % 2 == (role == .master ? 1 : 0) ? epoch : after(epoch)
    }
}
