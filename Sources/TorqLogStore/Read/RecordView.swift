/// One record as a reader sees it.
///
/// Its buffers point into the reader's memory and are valid only during the
/// callback that receives it: copy what you keep.
public struct RecordView {
    /// The record's sequence number.
    public let sequence: UInt64
    /// The event time in nanoseconds since the epoch, when the record has one.
    public let time: Int64?
    /// The run key bytes, when the record has one.
    public let runKey: UnsafeRawBufferPointer?
    /// The type tag bytes, when the record has one.
    public let type: UnsafeRawBufferPointer?
    /// The JSON payload, exactly as appended.
    public let payload: UnsafeRawBufferPointer
    /// The segment file and byte offset of the record's frame.
    public let location: FrameLocation

    /// The run key as a string.
    public var runKeyString: String? { runKey.map { String(decoding: $0, as: UTF8.self) } }
    /// The type tag as a string.
    public var typeString: String? { type.map { String(decoding: $0, as: UTF8.self) } }

    init(sequence: UInt64, time: Int64?, runKey: UnsafeRawBufferPointer?, type: UnsafeRawBufferPointer?,
         payload: UnsafeRawBufferPointer, location: FrameLocation) {
        self.sequence = sequence
        self.time = time
        self.runKey = runKey
        self.type = type
        self.payload = payload
        self.location = location
    }

    init(_ frame: FrameView, segment: UInt64) {
        sequence = frame.sequence
        time = frame.time
        runKey = frame.runKey
        type = frame.type
        payload = frame.payload ?? UnsafeRawBufferPointer(start: nil, count: 0)
        location = FrameLocation(segment: segment, offset: frame.offset, sequence: frame.sequence)
    }
}

/// Where a frame is: its segment's base sequence, its byte offset, and its sequence number.
public struct FrameLocation: Sendable, Hashable, Comparable {
    /// Base sequence of the segment holding the frame.
    public var segment: UInt64
    /// Byte offset of the frame in the segment file.
    public var offset: Int64
    /// The frame's sequence number.
    public var sequence: UInt64

    public static func < (a: FrameLocation, b: FrameLocation) -> Bool { a.sequence < b.sequence }
}

/// Which records a reader returns; every condition is checked on frame headers, never on JSON.
public struct RecordFilter: Sendable, Equatable {
    /// Only records of this run.
    public var runKey: [UInt8]?
    /// Only records with this type tag.
    public var type: [UInt8]?
    /// Only records whose event time is at or after this (nanoseconds); records without a time are excluded.
    public var since: Int64?
    /// Only records whose event time is before this (nanoseconds); records without a time are excluded.
    public var until: Int64?

    /// A filter; nil conditions match everything.
    public init(runKey: String? = nil, type: String? = nil, since: Int64? = nil, until: Int64? = nil) {
        self.runKey = runKey.map { Array($0.utf8) }
        self.type = type.map { Array($0.utf8) }
        self.since = since
        self.until = until
    }

    /// Whether the filter lets everything through.
    public var isEmpty: Bool { runKey == nil && type == nil && since == nil && until == nil }

    func matches(run: UnsafeRawBufferPointer?, type t: UnsafeRawBufferPointer?, time: Int64?) -> Bool {
        if let runKey {
            guard let run, run.elementsEqual(runKey) else { return false }
        }
        if let type {
            guard let t, t.elementsEqual(type) else { return false }
        }
        if since != nil || until != nil {
            guard let time else { return false }
            if let since, time < since { return false }
            if let until, time >= until { return false }
        }
        return true
    }

    /// Whether `record` passes the filter.
    public func matches(_ record: RecordView) -> Bool {
        matches(run: record.runKey, type: record.type, time: record.time)
    }

    func matches(_ frame: FrameView) -> Bool {
        matches(run: frame.runKey, type: frame.type, time: frame.time)
    }
}
