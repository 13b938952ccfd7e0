import VacataireCore

/// One kind of health check: runs once and says what it found.
///
/// A run should end within about `timeout` by itself (libcurl, connect and plugins are
/// given it); the scheduler also stops waiting for it shortly after, whatever it does.
public protocol HealthCheck: Sendable {
    func run(timeout: Duration) async -> CheckResult
}

extension CheckConfig {
    /// The check this configuration describes, ready to run.
    public func makeCheck() -> any HealthCheck {
        switch kind {
        case .process(let settings): return ProcessCheck(settings)
        case .memory(let settings): return MemoryCheck(settings)
        case .http(let settings): return HTTPCheck(settings)
        case .tcp(let settings): return TCPCheck(settings)
        case .exec(let settings): return ExecCheck(settings)
        case .ocf(let settings): return OCFCheck(settings, interval: interval.duration)
        }
    }
}
