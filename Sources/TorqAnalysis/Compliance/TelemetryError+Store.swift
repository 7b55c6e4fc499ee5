import TorqEvents
import TorqLogStore

extension TelemetryError {
    /// A ``TelemetryError/Kind/store`` error carrying the store's error: its
    /// description (which names the file), and its `errno` and operation.
    package init(_ error: StoreError) {
        self.init(.store, error.description, errno: error.errno, operation: error.operation?.rawValue)
    }
}
