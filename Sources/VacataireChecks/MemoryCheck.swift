import Foundation
import VacataireCore

/// Checks that available memory and free swap stay at or above their minimum percentages.
///
/// Reads `<proc_root>/meminfo`. A machine without swap passes the swap test (it cannot run
/// out of swap it never had) and says "no swap"; a low MemAvailable still fails it.
public struct MemoryCheck: HealthCheck {
    public var settings: MemoryCheckSettings

    public init(_ settings: MemoryCheckSettings) {
        self.settings = settings
    }

    public func run(timeout: Duration) async -> CheckResult {
        let settings = settings
        return await BlockingThread.run(name: "vacataire-memory-check") {
            let start = ContinuousClock.now
            let path = "\(settings.procRoot)/meminfo"
            guard let text = ProcFile.read(path) else {
                return CheckResult(status: .unknown, message: "cannot read \(path)", duration: ContinuousClock.now - start)
            }
            var result = Self.evaluate(text, settings: settings)
            result.duration = ContinuousClock.now - start
            return result
        }
    }

    /// Judges a meminfo text against the settings' minimums.
    public static func evaluate(_ text: String, settings: MemoryCheckSettings) -> CheckResult {
        let info: MemInfo
        switch MemInfo.parse(text) {
        case .success(let parsed): info = parsed
        case .failure(let error): return CheckResult(status: .unknown, message: error.description)
        }
        let available = info.availablePercent
        var perfdata = [
            Perfdata(label: "mem_available", value: round1(available), unit: "%", critical: "\(format(settings.minAvailablePercent)):", minimum: 0, maximum: 100),
        ]
        var failures: [String] = []
        var parts = ["\(format(round1(available)))% memory available (\(info.memAvailable / 1024) of \(info.memTotal / 1024) MiB)"]
        if available < settings.minAvailablePercent {
            failures.append("memory available \(format(round1(available)))% is below \(format(settings.minAvailablePercent))%")
        }
        if let swap = info.swapFreePercent {
            perfdata.append(Perfdata(label: "swap_free", value: round1(swap), unit: "%", critical: "\(format(settings.minSwapFreePercent)):", minimum: 0, maximum: 100))
            parts.append("\(format(round1(swap)))% swap free")
            if swap < settings.minSwapFreePercent {
                failures.append("swap free \(format(round1(swap)))% is below \(format(settings.minSwapFreePercent))%")
            }
        } else {
            parts.append("no swap")
        }
        if failures.isEmpty {
            return CheckResult(status: .ok, message: parts.joined(separator: ", "), perfdata: perfdata)
        }
        return CheckResult(status: .critical, message: failures.joined(separator: "; "), perfdata: perfdata)
    }

    static func round1(_ value: Double) -> Double { (value * 10).rounded(.down) / 10 }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
