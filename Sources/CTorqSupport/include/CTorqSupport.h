#ifndef CTORQSUPPORT_H
#define CTORQSUPPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
/// ext4, LevelDB and Kafka. `crc` is the running value: start with 0.
/// Uses the SSE4.2 `crc32` instruction when the CPU has it, a table otherwise.
uint32_t tq_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// `tq_crc32c_extend` by a given method, for tests: 0 the slicing-by-8 table,
/// 1 the SSE4.2 instruction on one stream, 2 on three streams at once (buffers
/// of 384 bytes or more; what `tq_crc32c_extend` uses). Without SSE4.2, the table.
uint32_t tq_crc32c_extend_using(int method, uint32_t crc, const void *data, size_t length);

/// Whether `tq_crc32c_extend` runs on the hardware instruction.
int tq_crc32c_is_hardware(void);

/// Starts writeback of `length` bytes at `offset` of `fd` to the disk without
/// waiting for it (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`). Not a
/// durability barrier: it only keeps dirty pages few, so that the next
/// `fdatasync` has little left to do. Returns 0, or -1 with errno set.
int tq_start_writeback(int fd, int64_t offset, int64_t length);

/// The offset of the first `needle` in `haystack`, or -1: a SIMD filter on
/// two of the needle's bytes (AVX2 or SSE2), then memcmp; glibc's `memmem`
/// for needles under 4 bytes and off x86-64. An empty needle is found at 0.
ptrdiff_t tq_find(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// `tq_find` by a given method, for tests: 0 glibc's `memmem`, 1 SSE2,
/// 2 AVX2 (only where `tq_find_best_method()` returns 2).
ptrdiff_t tq_find_using(int method, const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// The method `tq_find` uses on this CPU: 2 AVX2, 1 SSE2, 0 `memmem`.
int tq_find_best_method(void);

/// Names the calling thread (`pthread_setname_np`; Linux keeps the first 15
/// bytes). Returns 0, or an error number.
int tq_set_thread_name(const char *name);

/// Sets the calling thread's nice value (Linux schedules threads apart:
/// `setpriority` on its thread id); raising it needs no privilege. Returns 0,
/// or -1 with errno set.
int tq_set_thread_nice(int nice);

/// The CPUs the calling thread may run on (`sched_getaffinity`, which
/// `taskset` and cgroups narrow), or -1 with errno set.
int tq_available_cpus(void);

/// A CPU affinity mask (a `cpu_set_t`: 1,024 CPUs).
typedef struct { unsigned long bits[1024 / (8 * sizeof(unsigned long))]; } tq_cpu_mask;

/// The calling thread's CPU affinity. Returns 0, or -1 with errno set.
int tq_get_affinity(tq_cpu_mask *mask);

/// Sets the calling thread's CPU affinity (inherited by the threads it starts
/// afterwards). Returns 0, or -1 with errno set.
int tq_set_affinity(const tq_cpu_mask *mask);

/// Narrows the calling thread's CPU affinity (inherited by the threads it
/// starts afterwards) to the first `count` CPUs it may run on now
/// (`sched_setaffinity`). Returns 0, or -1 with errno set.
int tq_pin_to_cpus(int count);

#ifdef __cplusplus
}
#endif

#endif
