#!/usr/bin/env bash
# Regenerates Sources/TorqOTLPProto/Generated from the .proto files beside it
# (opentelemetry-proto v1.10.0, Sources/TorqOTLPProto/proto). Run once when the
# .proto files change; the output is committed, so builds need neither tool.
#   needs: protoc (Debian's protobuf-compiler) and protoc-gen-swift built from
#   apple/swift-protobuf at the version Package.swift names:
#     git clone https://github.com/apple/swift-protobuf && cd swift-protobuf
#     git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
#   usage: PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift scripts/generate-otlp.sh
set -euo pipefail
cd "$(dirname "$0")/../Sources/TorqOTLPProto/proto"
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"
rm -f ../Generated/*.pb.swift
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Package --swift_opt=FileNaming=PathToUnderscores \
  --swift_out=../Generated $(find opentelemetry -name '*.proto' | sort)
