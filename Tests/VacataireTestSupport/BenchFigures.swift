import Foundation

/// How the benchmarks that run through the test bundle (LeaseBench, AddressBench) print
/// their figures: seconds as median / p90 / min / max, and the day they were measured.
public enum BenchFigures {
    public static func summary(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        let p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
        return [sorted[sorted.count / 2], p90, sorted[0], sorted[sorted.count - 1]].map { String(format: "%.3f", $0) }.joined(separator: " / ")
    }

    public static func today() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }
}
