// swift-tools-version:6.1
// Le Vacataire: a two-node failover agent that pages humans when it fails over.
// The module layout is the architecture map of Docs/architecture.md.
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
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
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
        // Net-SNMP's agent library in AgentX subagent mode (its own target for the same
        // header clash); Swift sees a lookup callback and a poll call. Debian: libsnmp-dev.
        .target(
            name: "CNetSNMPAgent",
            linkerSettings: [.linkedLibrary("netsnmpagent"), .linkedLibrary("netsnmp")]
        ),
        // Linux's rtnetlink, packet socket, ARP and ICMPv6 headers; netlink macros as inline functions.
        .target(name: "CAddress"),
        // glibc's malloc.h (not in Swift's Glibc module): the heap's free pages handed back.
        .target(name: "CMemory"),
        // Linux's timerfd (not in Swift's Glibc module): the heartbeat copies' timer.
        .target(name: "CTimerFD"),
        // One libcurl easy handle with typed options, for the http check and the SMTP channel.
        .target(
            name: "VacataireCurl",
            dependencies: ["CCurl"]
        ),
        // Pure code: configuration model and validation, events. No I/O beyond reading files.
        .target(
            name: "VacataireCore",
            // The floating addresses' value types (parsed and checked with the configuration).
            dependencies: [.product(name: "Yams", package: "Yams"), "VacataireAddress"]
        ),
        // Health checks: process, memory, http, tcp, exec.
        .target(
            name: "VacataireChecks",
            dependencies: [
                "VacataireCore", "CCurl", "VacataireCurl",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The peer protocol: message codec, HMAC-SHA256 authentication, replay window,
        // UDP transport over SwiftNIO.
        .target(
            name: "VacatairePeer",
            dependencies: [
                "VacataireCore",
                "CTimerFD",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Durable state in SQLite (GRDB, WAL): role and epoch, incidents, event history.
        .target(
            name: "VacataireStore",
            dependencies: ["VacataireCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The daemon: wires checks, peer link, state machine, actions, store and notifier.
        .target(
            name: "VacataireAgent",
            dependencies: [
                "VacataireCore", "VacataireChecks", "VacatairePeer", "VacataireNotify", "VacataireStore",
                // The AgentX subagent that answers an NMS's polls (`snmp_agent:`).
                "CNetSNMPAgent",
                // The heap's free pages handed back with the startup pages (`StartupPages`).
                "CMemory",
                // The lease mode's etcd client (its v3 JSON gateway over libcurl).
                "VacataireCurl",
                // Floating addresses: rtnetlink, gratuitous ARP and neighbour advertisements.
                "VacataireAddress",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // The load balancers' endpoint (/health, /status, /metrics) and agent-check port.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // A floating address's kernel work: add, remove, find, announce it, probe for a duplicate.
        .target(
            name: "VacataireAddress",
            dependencies: ["CAddress"]
        ),
        // Templates, message building, channels (SMTP through libcurl, SNMP through Net-SNMP).
        .target(
            name: "VacataireNotify",
            dependencies: [
                "VacataireCore", "CCurl", "VacataireCurl", "CNetSNMP",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The command-line interface.
        .executableTarget(
            name: "vacataire",
            dependencies: [
                "VacataireCore", "VacataireNotify", "VacataireChecks", "VacatairePeer", "VacataireAgent", "VacataireAddress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
            dependencies: [
                "VacatairePeer", "VacataireTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "VacataireStoreTests",
            dependencies: ["VacataireStore", "VacataireTestSupport"]
        ),
        .testTarget(
            name: "VacataireAgentTests",
            dependencies: ["VacataireAgent", "VacataireTestSupport"]
        ),
        // The floating address in real network namespaces on a bridge (as root).
        .testTarget(
            name: "VacataireAddressTests",
            dependencies: ["VacataireAddress"]
        ),
        .testTarget(
            name: "VacataireNotifyTests",
            dependencies: ["VacataireNotify", "VacataireTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Tests/Fuzz, Docs/hardening.md): only with VACATAIRE_FUZZ=1, as
// `make fuzz` builds them (`-sanitize=fuzzer`, scratch path .build-fuzz); libFuzzer
// supplies `main`, so they are not part of the normal build.
if Context.environment["VACATAIRE_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzConfig", ["VacataireCore"]),
        ("FuzzTemplates", ["VacataireCore", "VacataireNotify"]),
        ("FuzzPeerDatagram", ["VacataireCore", "VacatairePeer"]),
        ("FuzzControlRequest", ["VacataireAgent"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: target.dependencies, path: "Tests/Fuzz/\(target.name)",
            exclude: ["corpus"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
