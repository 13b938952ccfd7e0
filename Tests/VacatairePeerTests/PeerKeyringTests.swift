import XCTest
@testable import VacatairePeer

/// Key files, their permissions, and rotation without downtime.
final class PeerKeyringTests: XCTestCase {
    func testKeyFileWithMode0600Or0400Loads() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        let hex = Array("3f1e9a0c4b7d2e8f6a5c1b0d9e8f7a6b\n".utf8)
        let readWrite = try PeerFixtures.writeFile(hex, named: "peer-1.key", in: directory, mode: 0o600)
        let readOnly = try PeerFixtures.writeFile(hex.dropLast(), named: "peer-2.key", in: directory, mode: 0o400)
        let ring = try PeerKeyring.load([PeerKeyFile(id: 1, path: readWrite), PeerKeyFile(id: 2, path: readOnly)], activeKeyID: 2)
        XCTAssertEqual(ring.keyIDs, [1, 2])
        XCTAssertEqual(ring.activeKey.id, 2)

        // The trailing newline is not part of the key: both files hold the same key.
        let fromOne = try PeerMessageEncoder(keyring: PeerKeyring(keys: [try XCTUnwrap(ring.key(id: 1))], activeKeyID: 1))
            .encode(PeerFixtures.message())
        let ringTwoAsOne = try PeerKeyring(keys: [try PeerKey.load(id: 1, path: readOnly)], activeKeyID: 1)
        XCTAssertNoThrow(try PeerMessageDecoder(keyring: ringTwoAsOne).decode(fromOne))
    }

    func testWorldReadableKeyFileIsRefusedWithAClearMessage() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        let path = try PeerFixtures.writeFile(Array("0123456789abcdef0123456789abcdef".utf8), named: "peer.key", in: directory, mode: 0o644)
        XCTAssertThrowsError(try PeerKey.load(id: 1, path: path)) { error in
            XCTAssertEqual(error as? PeerKeyError, .insecureMode(path: path, mode: 0o644))
            let message = "\(error)"
            XCTAssertTrue(message.contains(path), message)
            XCTAssertTrue(message.contains("mode is 0644"), message)
            XCTAssertTrue(message.contains("must be 0600 or 0400"), message)
            XCTAssertFalse(message.contains("0123456789abcdef"), "never the key")
        }
        for mode in [0o640, 0o604, 0o660, 0o700, 0o602] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            XCTAssertThrowsError(try PeerKey.load(id: 1, path: path), String(mode, radix: 8))
        }
    }

    func testShortMissingAndNonRegularKeyFilesAreRefused() throws {
        let directory = try PeerFixtures.temporaryDirectory(for: self)
        let short = try PeerFixtures.writeFile(Array("tooshort-15byte\n\n".utf8), named: "short.key", in: directory, mode: 0o600)
        XCTAssertThrowsError(try PeerKey.load(id: 1, path: short)) { error in
            XCTAssertEqual(error as? PeerKeyError, .tooShort(path: short, bytes: 15))
            XCTAssertTrue("\(error)".contains("fewer than the 16 required"))
        }
        let long = try PeerFixtures.writeFile([UInt8](repeating: 0x61, count: 5_000), named: "long.key", in: directory, mode: 0o600)
        XCTAssertThrowsError(try PeerKey.load(id: 1, path: long)) { error in
            XCTAssertEqual(error as? PeerKeyError, .tooLong(path: long))
        }
        XCTAssertThrowsError(try PeerKey.load(id: 1, path: directory + "/missing.key")) { error in
            XCTAssertEqual("\(error)", "peer key file \(directory)/missing.key: cannot be read: No such file or directory")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        XCTAssertThrowsError(try PeerKey.load(id: 1, path: directory)) { error in
            XCTAssertEqual(error as? PeerKeyError, .notARegularFile(path: directory))
        }
    }

    func testKeyringRefusesDuplicateIDsAndAMissingActiveKey() {
        XCTAssertThrowsError(try PeerKeyring(keys: [], activeKeyID: 1)) { XCTAssertEqual($0 as? PeerKeyError, .noKeys) }
        XCTAssertThrowsError(try PeerKeyring(keys: [PeerFixtures.keyOne, PeerFixtures.key(1, fill: 3)], activeKeyID: 1)) {
            XCTAssertEqual($0 as? PeerKeyError, .duplicateKeyID(1, firstPath: "test key 1", secondPath: "test key 1"))
        }
        XCTAssertThrowsError(try PeerKeyring(keys: [PeerFixtures.keyOne], activeKeyID: 2)) {
            XCTAssertEqual("\($0)", "the active peer key id 2 is not among the loaded keys (1)")
        }
    }

    func testKeysNeverShowInDescriptionsOrDumps() throws {
        let secret = "SECRET-secret-SECRET-1234"
        let key = try PeerKey(id: 4, bytes: Array(secret.utf8), source: "/etc/vacataire/peer-4.key")
        let ring = try PeerKeyring(keys: [key], activeKeyID: 4)
        var dumped = ""
        dump(ring, to: &dumped)
        for text in ["\(key)", "\(ring)", String(reflecting: key), String(reflecting: ring), dumped] {
            XCTAssertFalse(text.contains("SECRET"), text)
            XCTAssertFalse(text.contains("83, 69, 67"), text)
        }
        XCTAssertEqual("\(key)", "peer key 4 (/etc/vacataire/peer-4.key)")
    }

    func testRotationAcceptsOldAndNewKeysWhileSigningWithTheActiveOne() throws {
        // Step 1: both nodes hold key 1 only. Step 2: both add key 2, still signing with 1.
        // Step 3: beta switches to key 2 before alpha does. Step 4: alpha drops key 1.
        let betaStep3 = PeerFixtures.keyring([PeerFixtures.keyOne, PeerFixtures.keyTwo], active: 2)
        var alpha = PeerFixtures.validator(keyring: PeerFixtures.keyring([PeerFixtures.keyOne, PeerFixtures.keyTwo], active: 1))

        let oldSigned = try PeerFixtures.encode(PeerFixtures.message(sequence: 1), keyring: PeerFixtures.ringOne)
        let newSigned = try PeerFixtures.encode(PeerFixtures.message(sequence: 2), keyring: betaStep3)
        XCTAssertEqual(Array(newSigned[4..<6]), [0, 2], "signed with the active key")
        XCTAssertNoThrow(try alpha.validate(oldSigned, now: PeerFixtures.now), "old key still accepted")
        XCTAssertNoThrow(try alpha.validate(newSigned, now: PeerFixtures.now), "new key accepted")
        XCTAssertEqual(alpha.counters.acceptedByKey, [1: 1, 2: 1])

        alpha.replaceKeyring(PeerFixtures.keyring([PeerFixtures.keyTwo], active: 2))
        let lateOld = try PeerFixtures.encode(PeerFixtures.message(sequence: 3), keyring: PeerFixtures.ringOne)
        XCTAssertThrowsError(try alpha.validate(lateOld, now: PeerFixtures.now)) { error in
            XCTAssertEqual((error as? PeerRejection)?.reason, .unknownKey)
            XCTAssertEqual((error as? PeerRejection)?.detail, "key id 1 is not configured here (known: 2)")
        }
        XCTAssertEqual(alpha.replayWindow.mark(for: "beta")?.sequence, 2, "a reload keeps the replay window")
        XCTAssertEqual(alpha.counters[.unknownKey], 1)
    }
}
