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

/// Whether `tq_crc32c_extend` runs on the hardware instruction.
int tq_crc32c_is_hardware(void);

/// Starts writeback of `length` bytes at `offset` of `fd` to the disk without
/// waiting for it (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`). Not a
/// durability barrier: it only keeps dirty pages few, so that the next
/// `fdatasync` has little left to do. Returns 0, or -1 with errno set.
int tq_start_writeback(int fd, int64_t offset, int64_t length);

/// Whether `needle` occurs in `haystack` (glibc's two-way `memmem`).
int tq_contains(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

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
