// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "torqlog",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TorqLogStore", targets: ["TorqLogStore"]),
        .library(name: "TorqTelemetry", targets: ["TorqTelemetry"]),
        .executable(name: "torqlog", targets: ["torqlog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-service-context", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // System liblz4 (LZ4F frame API) for sealed segments.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // System zlib, for reading .jsonl.gz sources (`torqlog compliance`).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Small C helpers for the hot paths: hardware CRC32C.
        .target(name: "CTorqSupport"),
        // simdjson (Debian's libsimdjson-dev) behind a plain C header.
        .target(
            name: "CSimdJSON",
            cxxSettings: [.define("SIMDJSON_THREADS_ENABLED", to: "1")],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        .target(
            name: "TorqLogStore",
            dependencies: [
                "CTorqSupport", "CSimdJSON", "CLZ4",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "torqlog",
            dependencies: [
                "TorqLogStore",
                "TorqTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Telemetry semantics: event schema, fast encoder, validation, compliance
        // scanner, the collector, tracing and the integration facade.
        .target(
            name: "TorqTelemetry",
            dependencies: [
                "TorqLogStore", "CTorqSupport", "CSimdJSON", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // System libsqlite3, for the benchmark's SQLite baseline.
        .systemLibrary(
            name: "CSQLite",
            path: "Benchmarks/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // `swift run -c release torqlog-bench`: torqlog against its baselines.
        .executableTarget(
            name: "torqlog-bench",
            dependencies: [
                "TorqLogStore",
                "TorqTelemetry",
                "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/TorqlogBench"
        ),
        .testTarget(
            name: "TorqLogStoreTests",
            dependencies: ["TorqLogStore"]
        ),
        .testTarget(
            name: "TorqTelemetryTests",
            dependencies: ["TorqTelemetry", "TorqLogStore", "torqlog", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TorqLogCLITests",
            dependencies: ["TorqLogStore", "torqlog"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
