/// One piece of text to redact: bytes `start ..< end` of the scanned text, of `kind`.
struct PIIMatch: Equatable {
    var start: Int
    var end: Int
    var kind: PIIKind
}
