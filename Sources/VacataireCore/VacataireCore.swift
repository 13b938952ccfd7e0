/// VacataireCore: the pure heart of Le Vacataire.
///
/// It owns the configuration model and its validation (`Config`, `ConfigReader`), the
/// event kinds that the notifier pages about (`EventKind`), and, as the product grows, the
/// failover state machine and the rate limiter. Nothing here opens a socket, starts a
/// process or reads a clock: callers pass time and inputs in and execute what comes back.
/// The only I/O is reading a configuration or key file the caller names.
public enum VacataireCore {
    /// The product's version, shown by `vacataire --version` and in notifications.
    public static let version = "0.1.0"
}
