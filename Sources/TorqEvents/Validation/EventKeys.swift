import TorqJSON

/// The top-level keys a parser of events extracts on every line, and their
/// slots in `JSONLineParser.ExtractedKeys` (or `tq_json_object_info.keys`):
/// the event type (which field table applies), the run and the time (the
/// filters of the scanners), and, for the store, the keys it indexes.
package enum EventKeys {
    package static let typeSlot = 0
    package static let runSlot = 1
    package static let timeSlot = 2
    /// The keys in slot order.
    package static let names = [EventSchema.typeField, EventSchema.runField, EventSchema.timeField]

    /// A parser for event lines of up to `maxLineLength` bytes, extracting these keys.
    package static func parser(maxLineLength: Int = EventValidator.maxEventLength) -> JSONLineParser {
        JSONLineParser(maxLineLength: maxLineLength, keys: names)
    }
}
