/// VacataireStore: the agent's durable state in one SQLite database (GRDB, WAL mode) under
/// the state directory: role and epoch (written before acting), incidents, event history.
/// A crash at any instant leaves a consistent state.
public enum VacataireStore {}
