import Hummingbird
import NIOCore

/// The request context of the receiver: hummingbird's core storage and the
/// connection's channel.
struct ReceiverContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are read by the receiver itself, against `--max-body`.
    var maxUploadSize: Int { .max }
}
