#include "CTorqSupport.h"
#include <string.h>

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = table[0][i];
        for (int t = 1; t < 8; t++) {
            c = table[0][c & 0xFF] ^ (c >> 8);
            table[t][i] = c;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    crc = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = table[7][v & 0xFF] ^ table[6][(v >> 8) & 0xFF] ^ table[5][(v >> 16) & 0xFF] ^
              table[4][(v >> 24) & 0xFF] ^ table[3][(v >> 32) & 0xFF] ^ table[2][(v >> 40) & 0xFF] ^
              table[1][(v >> 48) & 0xFF] ^ table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
#include <pthread.h>

__attribute__((target("sse4.2")))
static uint64_t crc32c_hw_run(uint64_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    return ~(uint32_t)crc32c_hw_run(~crc, p, n);
}

// Three streams at once. The crc32 instruction has a latency of 3 cycles and
// a throughput of 1, so one stream leaves two thirds of the unit idle. A
// buffer of at least 3 × B bytes is cut into three runs of B bytes, each
// CRC'd from its own register in the same loop; the registers are then joined:
// the register after "a then b" is shift_B(register after a) XOR (register of
// b from 0), where shift_B appends B zero bytes (a linear map of the register,
// tabulated per byte: shift_B(c) = T[0][c0] ^ T[1][c1] ^ T[2][c2] ^ T[3][c3]).
// Two block sizes: LONG for large buffers, SHORT for a frame of a few hundred bytes.
#define CRC_LONG 2048
#define CRC_SHORT 128

static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static uint32_t append_zeros(uint32_t c, size_t n) {
    while (n >= 8) { c = (uint32_t)__builtin_ia32_crc32di(c, 0); n -= 8; }
    while (n--) c = __builtin_ia32_crc32qi(c, 0);
    return c;
}

static void build_shift_tables(void) {
    for (int k = 0; k < 4; k++) {
        for (uint32_t v = 0; v < 256; v++) {
            shift_long[k][v] = append_zeros(v << (8 * k), CRC_LONG);
            shift_short[k][v] = append_zeros(v << (8 * k), CRC_SHORT);
        }
    }
}

static inline uint32_t shift(const uint32_t table[4][256], uint32_t c) {
    return table[0][c & 0xFF] ^ table[1][(c >> 8) & 0xFF] ^ table[2][(c >> 16) & 0xFF] ^ table[3][c >> 24];
}

__attribute__((target("sse4.2")))
static uint64_t crc32c_hw3_blocks(uint64_t c0, const uint8_t **pp, size_t *np, size_t block, const uint32_t table[4][256]) {
    const uint8_t *p = *pp;
    size_t n = *np;
    while (n >= 3 * block) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + block;
        do {
            uint64_t a, b, d;
            memcpy(&a, p, 8);
            memcpy(&b, p + block, 8);
            memcpy(&d, p + 2 * block, 8);
            c0 = __builtin_ia32_crc32di(c0, a);
            c1 = __builtin_ia32_crc32di(c1, b);
            c2 = __builtin_ia32_crc32di(c2, d);
            p += 8;
        } while (p < end);
        c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * block;
        n -= 3 * block;
    }
    *pp = p;
    *np = n;
    return c0;
}

static uint32_t crc32c_hw3(uint32_t crc, const uint8_t *p, size_t n) {
    if (n < 3 * CRC_SHORT) return crc32c_hw(crc, p, n);
    pthread_once(&shift_once, build_shift_tables);
    uint64_t c = ~crc;
    c = crc32c_hw3_blocks(c, &p, &n, CRC_LONG, shift_long);
    c = crc32c_hw3_blocks(c, &p, &n, CRC_SHORT, shift_short);
    return ~(uint32_t)crc32c_hw_run(c, p, n);
}

static int has_hw = -1;

int tq_crc32c_is_hardware(void) {
    int h = __atomic_load_n(&has_hw, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&has_hw, h, __ATOMIC_RELAXED);
    }
    return h;
}

uint32_t tq_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    if (tq_crc32c_is_hardware()) return crc32c_hw3(crc, (const uint8_t *)data, length);
    return crc32c_sw(crc, (const uint8_t *)data, length);
}

uint32_t tq_crc32c_extend_using(int method, uint32_t crc, const void *data, size_t length) {
    if (method == 2 && tq_crc32c_is_hardware()) return crc32c_hw3(crc, (const uint8_t *)data, length);
    if (method == 1 && tq_crc32c_is_hardware()) return crc32c_hw(crc, (const uint8_t *)data, length);
    return crc32c_sw(crc, (const uint8_t *)data, length);
}
#else
int tq_crc32c_is_hardware(void) { return 0; }
uint32_t tq_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    return crc32c_sw(crc, (const uint8_t *)data, length);
}
uint32_t tq_crc32c_extend_using(int method, uint32_t crc, const void *data, size_t length) {
    (void)method;
    return crc32c_sw(crc, (const uint8_t *)data, length);
}
#endif
