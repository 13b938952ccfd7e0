/// The `incidents:` section: how often an open, unacknowledged incident is paged again,
/// and how long a node waits for its peer to confirm delivering a page before sending it
/// itself (Docs/notifications.md, "Incidents, reminders and acknowledgements").
public struct IncidentsConfig: Sendable, Equatable {
    /// An open incident nobody acknowledged is paged again (`reminder`) this often.
    public var repeatInterval: ConfigDuration
    /// The node that does not page an incident sends the page itself when its peer has
    /// not confirmed delivering it within this time.
    public var confirmTimeout: ConfigDuration

    public init(repeatInterval: ConfigDuration = ConfigDuration(seconds: 1800), confirmTimeout: ConfigDuration = ConfigDuration(seconds: 30)) {
        self.repeatInterval = repeatInterval
        self.confirmTimeout = confirmTimeout
    }

    static func read(_ reader: ConfigReader) -> IncidentsConfig {
        var incidents = IncidentsConfig()
        incidents.repeatInterval = reader.optional("repeat_interval", ConfigDuration.self) ?? incidents.repeatInterval
        incidents.confirmTimeout = reader.optional("confirm_timeout", ConfigDuration.self) ?? incidents.confirmTimeout
        if incidents.repeatInterval.seconds < 1 {
            reader.problem("repeat_interval", "must be at least 1s, found \(incidents.repeatInterval)")
        }
        if incidents.confirmTimeout.seconds < 0.1 {
            reader.problem("confirm_timeout", "must be at least 100ms, found \(incidents.confirmTimeout)")
        } else if incidents.confirmTimeout > incidents.repeatInterval {
            reader.problem("confirm_timeout", "must not be longer than repeat_interval (\(incidents.repeatInterval)), found \(incidents.confirmTimeout)")
        }
        reader.finish()
        return incidents
    }
}
