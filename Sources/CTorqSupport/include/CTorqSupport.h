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

#ifdef __cplusplus
}
#endif

#endif
