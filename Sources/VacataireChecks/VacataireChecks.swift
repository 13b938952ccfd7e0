/// VacataireChecks: the health checks of a node's service.
///
/// Six kinds, each a `HealthCheck`: `ProcessCheck` and `MemoryCheck` read /proc directly,
/// `HTTPCheck` asks a URL through libcurl (status, exact body size, body pattern),
/// `TCPCheck` connects to a port, `ExecCheck` runs a Nagios/Monitoring plugin and
/// `OCFCheck` an OCF resource agent's monitor, both through swift-subprocess (`ProgramRun`). Every run returns a `CheckResult` and never takes much longer than its
/// timeout: blocking work (libcurl, connect, /proc) runs on a dedicated thread, never on the
/// cooperative pool, so a hung check cannot starve the others or the peer link.
///
/// `RiseFallTracker` turns results into health (`rise` passes, `fall` failures in a row),
/// and `CheckScheduler` runs every check at its interval, keeps the `CheckVerdict`, and
/// streams `CheckTransition`s (check-failed, check-recovered) to the engine and notifier.
public enum VacataireChecks {}
