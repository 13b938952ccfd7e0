import Foundation
@testable import VacataireNotify
import VacataireTestSupport
import XCTest

/// A delivery that fails because the agent is short of
/// descriptors is retried, not "refused for good"; outbox keys never collide.
final class DeliveryHardeningTests: XCTestCase {
    /// Runs `body` with the descriptor limit lowered so that no new descriptor can be opened.
    private func withDescriptorsExhausted<T>(_ body: () throws -> T) rethrows -> T {
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
        var spare: [Int32] = []
        var lowered = saved
        lowered.rlim_cur = 64
        // Descriptors above the new limit stay open; fill what is left below it.
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered)
        while true {
            let descriptor = open("/dev/null", O_RDONLY)
            if descriptor < 0 { break }
            spare.append(descriptor)
        }
        defer {
            for descriptor in spare { close(descriptor) }
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
        }
        return try body()
    }

    func testAPasswordFileThatCannotBeOpenedForLackOfDescriptorsIsRetried() throws {
        let directory = try TemporaryDirectory("secret")
        defer { directory.remove() }
        let server = try XCTUnwrap(URL(string: "smtp://127.0.0.1:25"))
        let path = try directory.write("password", "secret\n")
        let read = withDescriptorsExhausted {
            Result { () throws(DeliveryError) -> String in try SMTPChannel.readPassword(path, server: server) }
        }
        guard case .failure(let error) = read else { return XCTFail("the read cannot succeed without a descriptor") }
        let failure = error
        XCTAssertEqual(failure.kind, .resources)
        XCTAssertFalse(failure.isPermanent, "a transient shortage is retried")
        XCTAssertTrue(failure.message.contains("Too many open files"), failure.message)

        let missing = try? SMTPChannel.readPassword(directory.file("absent"), server: server)
        XCTAssertNil(missing)
        do {
            _ = try SMTPChannel.readPassword(directory.file("absent"), server: server)
        } catch {
            XCTAssertEqual(error.kind, .configuration, "a missing file is a setting to fix")
            XCTAssertTrue(error.isPermanent)
        }
        XCTAssertEqual(try SMTPChannel.readPassword(path, server: server), "secret")
    }

    func testTransientErrorNumbers() {
        for code in [EMFILE, ENFILE, ENOMEM, EAGAIN] {
            XCTAssertTrue(DeliveryError.isTransient(errno: code), "\(code)")
        }
        for code in [ENOENT, EACCES, EISDIR] {
            XCTAssertFalse(DeliveryError.isTransient(errno: code), "\(code)")
        }
    }

    func testMessageIDsStayDistinctWithoutDescriptors() {
        let (ours, foundations) = withDescriptorsExhausted {
            ((0..<3).map { _ in EmailMessage.makeMessageID(node: "alpha", cluster: "web", at: Date()) }, (0..<3).map { _ in UUID().uuidString })
        }
        XCTAssertEqual(Set(ours).count, 3, "\(ours)")
        print("Foundation UUIDs without descriptors: \(foundations)")
        let many = (0..<100_000).map { _ in MessageToken.next(at: Date()) }
        XCTAssertEqual(Set(many).count, many.count)
    }
}
