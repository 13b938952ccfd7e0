// swift-tools-version:6.1
// Le Vacataire: a two-node failover agent that pages humans when it fails over.
// The module layout is the architecture map of Docs/architecture.md (DESIGN.md §9).
import PackageDescription

let package = Package(
    name: "vacataire",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vacataire", targets: ["vacataire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // Thin C shims: typed wrappers for variadic and macro-only C APIs. No policy here.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Net-SNMP's headers stay inside this C target (they clash with libcurl's in one
        // Swift module); Swift sees opaque handles. Debian: libsnmp-dev.
        .target(
            name: "CNetSNMP",
            linkerSettings: [.linkedLibrary("netsnmp")]
        ),
        // Pure code: configuration model and validation, events. No I/O beyond reading files.
        .target(
            name: "VacataireCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Health checks: process, memory, http, tcp, exec.
        .target(
            name: "VacataireChecks",
            dependencies: [
                "VacataireCore", "CCurl",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The peer protocol: message codec, HMAC-SHA256 authentication, replay window.
        .target(
            name: "VacatairePeer",
            dependencies: ["VacataireCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Templates, message building, channels (SMTP through libcurl, SNMP through Net-SNMP).
        .target(
            name: "VacataireNotify",
            dependencies: [
                "VacataireCore", "CCurl", "CNetSNMP",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The command-line interface.
        .executableTarget(
            name: "vacataire",
            dependencies: [
                "VacataireCore", "VacataireNotify", "VacataireChecks", "VacatairePeer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Real servers for tests: aiosmtpd SMTP sink, snmptrapd, free ports, temp dirs.
        .target(
            name: "VacataireTestSupport",
            dependencies: ["VacataireCore"],
            path: "Tests/VacataireTestSupport"
        ),
        .testTarget(
            name: "VacataireCoreTests",
            dependencies: ["VacataireCore", "VacataireTestSupport"]
        ),
        .testTarget(
            name: "VacataireChecksTests",
            dependencies: ["VacataireChecks", "VacataireTestSupport"]
        ),
        .testTarget(
            name: "VacatairePeerTests",
            dependencies: ["VacatairePeer", "VacataireTestSupport"]
        ),
        .testTarget(
            name: "VacataireNotifyTests",
            dependencies: ["VacataireNotify", "VacataireTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
