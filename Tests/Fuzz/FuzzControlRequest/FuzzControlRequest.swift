// libFuzzer target: the control protocol's request decoder and its bounds
// (`ControlRequest.limitProblem`), as the daemon applies them to one request line.
import Foundation
import VacataireAgent

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControlRequest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: count))
    guard let request = try? JSONDecoder.control.decode(ControlRequest.self, from: bytes) else { return 0 }
    if request.limitProblem == nil {
        // What passes the bounds is safe to compute with, as the daemon does.
        if let seconds = request.expiresSeconds { _ = Date().addingTimeInterval(seconds) }
        if let seconds = request.sinceSeconds { _ = Date().addingTimeInterval(-seconds) }
        if let seconds = request.waitSeconds { _ = Duration.milliseconds(Int64(seconds * 1_000)) }
    }
    _ = try? JSONEncoder.control.encode(request)
    return 0
}
