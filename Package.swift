// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "torqlog",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TorqLogStore", targets: ["TorqLogStore"]),
        .library(name: "TorqTelemetry", targets: ["TorqTelemetry"]),
        .library(name: "TorqJSON", targets: ["TorqJSON"]),
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
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // No traits: the server needs neither swift-configuration nor full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // The forwarder's HTTP client (torqlog forward), and the benchmark's (torqlog serve under load).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
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
        // JSON bytes: the simdjson line parser, RFC 3339, the JSON writer and
        // tree parser, byte sources. Knows no field names of its own.
        .target(name: "TorqJSON", dependencies: ["CSimdJSON", "CZlib", .product(name: "SystemPackage", package: "swift-system")]),
        // The log-structured store: WAL and sealed segments, readers, compaction.
        // Knows bytes, sequences and the keys a caller gives it; no event schema.
        .target(
            name: "TorqLogStore",
            dependencies: [
                "TorqJSON", "CTorqSupport", "CLZ4",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The telemetry event schema, its encoding and validation. Knows no store.
        .target(
            name: "TorqEvents",
            dependencies: ["TorqJSON", "CSimdJSON", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // The PII filter: detectors and byte-exact redaction inside JSON.
        .target(name: "TorqPrivacy", dependencies: ["TorqJSON", "CTorqSupport"]),
        // The collector, its sinks (store, JSONL, memory) and queries.
        .target(
            name: "TorqCollector",
            dependencies: [
                "TorqEvents", "TorqPrivacy", "TorqLogStore", "TorqJSON", "CTorqSupport", "CZlib", "TorqServerLink",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The Tracer (swift-distributed-tracing) and the integration facade.
        .target(
            name: "TorqTracing",
            dependencies: [
                "TorqCollector", "TorqEvents", "TorqJSON", "TorqLogStore",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
            ]
        ),
        // Views of a store: telemetry summary, compliance, trace views, OTLP encoding.
        .target(
            name: "TorqAnalysis",
            dependencies: [
                "TorqEvents", "TorqLogStore", "TorqJSON", "CSimdJSON",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // The HTML trace page's style and script, compiled in as TraceAssets.swift.
            exclude: ["TraceView/Assets"]
        ),
        // The OTLP protobuf types (opentelemetry-proto v1.10.0), generated once
        // by scripts/generate-otlp.sh and committed; `package` visibility.
        .target(
            name: "TorqOTLPProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["proto"]
        ),
        // OTLP requests into store records and back: the GenAI mapping applied to
        // the protobuf types (receiver now, forwarder later). Knows no HTTP.
        .target(
            name: "TorqOTLP",
            dependencies: [
                "TorqOTLPProto", "TorqAnalysis", "TorqEvents", "TorqJSON",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `torqlog serve`: the OTLP/HTTP receiver (traces, logs) and the JSONL
        // endpoint, writing one store with group commit. Knows HTTP and OTLP;
        // the store, the schema and the OTLP mapping come from the modules below.
        .target(
            name: "TorqServer",
            dependencies: [
                "TorqOTLP", "TorqOTLPProto", "TorqEvents", "TorqLogStore", "TorqJSON", "CZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The viewer's files are compiled in (Viewer/ViewerAssets.swift, made by
            // scripts/embed-viewer-assets.py): SwiftPM resources would be files beside the binary.
            exclude: ["Viewer/Assets"]
        ),
        // `torqlog forward` and `serve --forward`: a store streamed to an OTLP/HTTP
        // endpoint (protobuf, gzip), at least once, resumable from a cursor in the store.
        .target(
            name: "TorqForward",
            dependencies: [
                "TorqOTLP", "TorqOTLPProto", "TorqAnalysis", "TorqLogStore", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The client of a store held by `torqlog serve`: HTTP/1.1 over the store's
        // Unix socket, for the store's own producers (ingest, the collector's sink).
        .target(
            name: "TorqServerLink",
            dependencies: [
                "TorqLogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The user-facing modules under one import.
        .target(
            name: "TorqTelemetry",
            dependencies: ["TorqEvents", "TorqPrivacy", "TorqCollector", "TorqTracing", "TorqAnalysis", "TorqLogStore"]
        ),
        // Workloads and process runners for the tests and the benchmarks (not shipped).
        .target(
            name: "TorqTestSupport",
            dependencies: ["TorqTelemetry", "TorqLogStore", "TorqJSON", "CZlib"]
        ),
        .executableTarget(
            name: "torqlog",
            dependencies: [
                "TorqLogStore", "TorqTelemetry", "TorqJSON", "TorqServer", "TorqServerLink", "TorqForward",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
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
                "TorqTestSupport",
                "TorqOTLPProto",
                "CSQLite",
                "CTorqSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
            ],
            path: "Benchmarks/TorqlogBench"
        ),
        // Tests mirror the modules: one test target per module, and the
        // command-line tests that run the built binary.
        .testTarget(name: "TorqJSONTests", dependencies: ["TorqJSON", "TorqTestSupport"]),
        .testTarget(name: "TorqLogStoreTests", dependencies: ["TorqLogStore", "TorqTestSupport"]),
        .testTarget(name: "TorqEventsTests", dependencies: ["TorqEvents", "TorqTestSupport"]),
        .testTarget(name: "TorqPrivacyTests", dependencies: ["TorqPrivacy", "TorqTestSupport"]),
        .testTarget(
            name: "TorqCollectorTests",
            dependencies: ["TorqCollector", "TorqTestSupport", "torqlog", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "TorqTracingTests", dependencies: ["TorqTracing", "TorqTestSupport"]),
        .testTarget(name: "TorqAnalysisTests", dependencies: ["TorqAnalysis", "TorqTestSupport"]),
        .testTarget(name: "TorqOTLPTests", dependencies: ["TorqOTLP", "TorqOTLPProto", "TorqTestSupport"]),
        .testTarget(name: "TorqServerLinkTests", dependencies: ["TorqServerLink", "TorqServer", "TorqLogStore", "TorqTestSupport"]),
        .testTarget(name: "TorqServerTests", dependencies: ["TorqServer", "TorqOTLPProto", "TorqTestSupport"]),
        .testTarget(name: "TorqForwardTests", dependencies: ["TorqForward", "TorqOTLPProto", "TorqLogStore", "TorqTestSupport"]),
        .testTarget(
            name: "TorqLogCLITests",
            dependencies: ["TorqLogStore", "TorqTelemetry", "TorqTestSupport", "torqlog"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
