#if canImport(Glibc)
import Glibc
#endif

/// Per-thread scratch memory for the encoder, so that encoding an event
/// allocates nothing once a thread has encoded its first one.
///
/// Each thread gets one block, grown to the largest request and freed when
/// the thread exits; a block grown past 1 MiB (a huge event) is given back
/// at the next smaller request.
@usableFromInline enum ScratchMemory {
    @usableFromInline final class Block {
        @usableFromInline var base: UnsafeMutablePointer<UInt8>
        @usableFromInline var capacity: Int

        @usableFromInline init(capacity: Int) {
            base = .allocate(capacity: capacity)
            self.capacity = capacity
        }

        deinit { base.deallocate() }
    }

    @usableFromInline static let retained = 1 << 20
    @usableFromInline static let initial = 16 << 10

    @usableFromInline static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { block in
            guard let block else { return }
            Unmanaged<AnyObject>.fromOpaque(block).release()
        }
        return created == 0 ? key : nil
    }()

    /// At least `capacity` bytes, valid until the thread's next call; nil
    /// when thread-specific storage is unavailable (the caller then allocates).
    @inlinable @inline(__always)
    static func forCurrentThread(_ capacity: Int) -> UnsafeMutablePointer<UInt8>? {
        guard let key else { return nil }
        if let raw = pthread_getspecific(key) {
            let block = Unmanaged<Block>.fromOpaque(raw).takeUnretainedValue()
            if block.capacity >= capacity, block.capacity <= retained || capacity > retained / 2 {
                return block.base
            }
            block.base.deallocate()
            block.capacity = max(capacity, initial)
            block.base = .allocate(capacity: block.capacity)
            return block.base
        }
        let block = Block(capacity: max(capacity, initial))
        let retainedBlock = Unmanaged.passRetained(block as AnyObject)
        guard pthread_setspecific(key, retainedBlock.toOpaque()) == 0 else {
            retainedBlock.release()
            return nil
        }
        return block.base
    }
}
