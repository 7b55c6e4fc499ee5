import CSimdJSON

/// simdjson (through the `CSimdJSON` facade) with zero-allocation access to
/// the fields of the last parsed object, for the validator's hot path.
///
/// `TorqLogStore.JSONLineParser` wraps the same facade, but its field
/// accessors return `JSONValue`, which allocates a `String` for every string
/// value; checking the shape of a dozen fields per event at millions of
/// events per second needs the raw views instead. Same padding contract:
/// ``requiredPadding`` readable bytes after every line.
package struct SimdJSONParser: ~Copyable {
    package static let requiredPadding = Int(TQ_JSON_PADDING)

    /// The facade's parser; used directly by the validator's hot loop.
    package let handle: OpaquePointer

    /// A parser for lines of at most `maxLineLength` bytes; nil when out of memory.
    package init?(maxLineLength: Int) {
        guard let handle = tq_json_parser_create(maxLineLength) else { return nil }
        self.handle = handle
    }

    deinit { tq_json_parser_destroy(handle) }

    /// Parses one line; see `tq_json_parse_object` for the contract (padding!).
    package mutating func parse(_ line: UnsafeRawBufferPointer) -> tq_json_object_info {
        var info = tq_json_object_info()
        _ = tq_json_parse_object(handle, line.baseAddress?.assumingMemoryBound(to: UInt8.self), line.count, &info)
        return info
    }
}
