import Foundation
import Synchronization

/// Runs a call inside a network namespace on a thread of its own: the thread enters the
/// namespace with setns(2), which moves that thread only, optionally gives up capabilities
/// with capset(2), which also acts on the calling thread only, runs the call and ends. The
/// test's own threads stay where they were, with all their capabilities.
enum NamespaceThread {
    /// A capability the thread can give up before the call.
    enum Capability: UInt32 {
        case networkAdmin = 12 // CAP_NET_ADMIN
        case networkRaw = 13 // CAP_NET_RAW
    }

    /// Runs `body` in the namespace `/run/netns/NAME` without `dropping`, and returns what it
    /// returned or rethrows what it threw.
    static func run<T: Sendable>(
        in namespace: String, dropping: [Capability] = [], _ body: @escaping @Sendable () throws -> T
    ) throws -> T {
        let outcome = Outcome<T>()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = Result<T, any Error> {
                try enter(namespace)
                if !dropping.isEmpty { try drop(dropping) }
                return try body()
            }
            outcome.result.withLock { $0 = result }
            finished.signal()
        }
        thread.name = "netns \(namespace)"
        thread.start()
        finished.wait()
        guard let result = outcome.result.withLock({ $0 }) else {
            throw FixtureError("the thread in \(namespace) ended without a result")
        }
        return try result.get()
    }

    /// What the thread hands back.
    private final class Outcome<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
    }

    private static let cloneNewNet: Int32 = 0x4000_0000

    private static func enter(_ namespace: String) throws {
        let path = "/run/netns/\(namespace)"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FixtureError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard try libc("setns", as: SetNamespace.self)(descriptor, cloneNewNet) == 0 else {
            throw FixtureError("setns(\(path)) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Clears the capabilities from the thread's effective, permitted and inheritable sets.
    private static func drop(_ capabilities: [Capability]) throws {
        // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
        var header: (version: UInt32, pid: Int32) = (0x2008_0522, 0)
        var sets = [UInt32](repeating: 0, count: 6) // (effective, permitted, inheritable) × 2
        let get = try libc("capget", as: CapabilityCall.self)
        let set = try libc("capset", as: CapabilityCall.self)
        guard get(&header, &sets) == 0 else {
            throw FixtureError("capget failed: \(String(cString: strerror(errno)))")
        }
        for capability in capabilities {
            let mask = ~(UInt32(1) << capability.rawValue)
            for set in 0..<3 { sets[set] &= mask }
        }
        guard set(&header, &sets) == 0 else {
            throw FixtureError("capset failed: \(String(cString: strerror(errno)))")
        }
    }

    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
    private typealias CapabilityCall = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32

    /// A function of the C library that Swift's Glibc module does not declare (setns,
    /// capget and capset need _GNU_SOURCE or libcap's header).
    private static func libc<Function>(_ name: String, as type: Function.Type) throws -> Function {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else {
            throw FixtureError("the C library has no \(name)")
        }
        return unsafeBitCast(symbol, to: type)
    }
}

/// A test fixture that could not be set up, saying what is missing.
struct FixtureError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
