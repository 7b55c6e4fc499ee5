/// The items of a request that could not be mapped: how many, and the
/// first few reasons, each naming the item's position in the request.
struct RejectionLog {
    /// Reasons kept for the message; the others are only counted.
    static let keptReasons = 5

    private(set) var count = 0
    private var reasons: [String] = []

    mutating func reject(_ position: String, _ reason: String) {
        count += 1
        if reasons.count < Self.keptReasons { reasons.append(position + ": " + reason) }
    }

    /// `partial_success.error_message`: the kept reasons, then how many more were rejected.
    var message: String {
        var text = reasons.joined(separator: "; ")
        if count > reasons.count { text += "; and \(count - reasons.count) more" }
        return text
    }

    func apply(to request: inout MappedRequest) {
        request.rejected = count
        request.rejectionMessage = message
    }
}
