import SystemPackage
import TorqJSON
import TorqLogStore
import TorqServer
import TorqServerLink
import TorqTelemetry

/// The exit statuses of `torqlog`, from sysexits(3) where one fits.
enum ExitStatus {
    /// Something failed that has no more specific status (corruption, a locked store, not found).
    static let failure: Int32 = 1
    /// Input data was rejected (EX_DATAERR).
    static let dataError: Int32 = 65
    /// EX_UNAVAILABLE: a service cannot start (`serve` cannot listen).
    static let unavailable: Int32 = 69
    /// A file or directory could not be created (EX_CANTCREAT).
    static let cannotCreate: Int32 = 73
    /// An I/O error: a failed read, write, sync, rename or truncate (EX_IOERR).
    static let ioError: Int32 = 74
    /// Permission denied (EX_NOPERM).
    static let noPermission: Int32 = 77

    /// The status for a store error: from its errno and operation for an I/O error.
    static func of(_ error: StoreError) -> Int32 {
        guard error.kind == .io else { return failure }
        if let errno = error.errno, errno == .permissionDenied || errno == .notPermitted { return noPermission }
        if error.operation == .create { return cannotCreate }
        return ioError
    }

    /// The status for any error the commands throw, or nil when ArgumentParser should decide.
    static func of(_ error: any Error) -> Int32? {
        switch error {
        case let e as StoreError: return of(e)
        case let e as TelemetryError:
            // A store or source error keeps its errno (and, for the store, its operation).
            guard let errno = e.errno else { return failure }
            if errno == .permissionDenied || errno == .notPermitted { return noPermission }
            if e.operation == FileOperation.create.rawValue { return cannotCreate }
            return ioError
        case is ServerLinkError: return ioError
        case is ServeConfigurationError: return unavailable
        case let e as InputError:
            guard let errno = e.errno else { return failure }
            return errno == .permissionDenied || errno == .notPermitted ? noPermission : ioError
        default: return nil
        }
    }
}
