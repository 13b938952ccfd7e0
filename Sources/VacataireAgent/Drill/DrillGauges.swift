import Foundation
import Prometheus
import VacataireCore

/// The last drill's figures in `/metrics`: when it ran, whether it passed, the samples in
/// which nobody answered, and each leg's times (-1: not reached). All 0 until a drill runs.
struct DrillGauges: Sendable {
    /// The legs a report has at most: out, back, and a put-back.
    static let legs = 3
    static let phases = ["start", "verify", "drain", "seen"]

    private let time: Prometheus.Gauge
    private let passed: Prometheus.Gauge
    private let nobody: Prometheus.Gauge
    private let legSeconds: [[Prometheus.Gauge]]

    init(_ registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ unit: String, _ help: String, _ labels: [(String, String)] = []) -> Prometheus.Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "vacataire", metricName: name, unitName: unit, helpText: help), labels: labels)
        }
        time = gauge("drill_last_time", "seconds", "When the last drill reported (Unix time; 0: none since the agent started)")
        passed = gauge("drill_last_passed", "", "1 when the last drill passed, 0 when it failed or none ran")
        nobody = gauge("drill_last_nobody_samples", "", "Samples of the last drill in which neither service answered")
        legSeconds = (1...Self.legs).map { leg in
            Self.phases.map { phase in
                gauge("drill_last_leg", "seconds",
                      "The last drill's legs: seconds from the leg's command to the new node's start, its verification, the old node's drain, the new service first seen (-1: not reached)",
                      [("leg", String(leg)), ("phase", phase)])
            }
        }
    }

    func set(_ report: DrillReport, at date: Date) {
        time.set(to: date.timeIntervalSince1970)
        passed.set(to: report.passed ? 1 : 0)
        nobody.set(to: Double(report.nobodySamples))
        for (index, gauges) in legSeconds.enumerated() {
            let leg = index < report.legs.count ? report.legs[index] : nil
            let values = [leg?.startSeconds, leg?.verifySeconds, leg?.drainSeconds, leg?.newNodeSeenSeconds]
            for (gauge, value) in zip(gauges, values) { gauge.set(to: value ?? -1) }
        }
    }
}
