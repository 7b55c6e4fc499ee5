#define _GNU_SOURCE
#include <string.h>
#include <stdint.h>
#include <stddef.h>
#include "CTorqSupport.h"

// tq_find: a substring search for short needles in short haystacks (an
// event's JSON, a few hundred bytes), where glibc's generic memmem spends
// most of its time setting up. The SIMD filter of W. Muła ("SIMD-friendly
// algorithms for substring searching"): compare a block of the haystack with
// two bytes of the needle at their offsets, AND the two masks, and check
// each candidate position left with memcmp. The two bytes are the needle's
// second and second-to-last, so a quoted key ("query") is not filtered on
// its quotes, which JSON has every few bytes. (Choosing the needle's two
// rarest bytes instead, by a table of how common each byte is in JSON, was
// measured slower on event lines of 100–500 bytes: 100 against 65 ns per
// line for four keys; choosing costs more than it filters.)

static ptrdiff_t found_by_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    const void *at = memmem(haystack, haystack_length, needle, needle_length);
    return at ? (const uint8_t *)at - (const uint8_t *)haystack : -1;
}

/// The first candidate of `mask` (bit j: a start at i + j) where the whole needle is.
static inline ptrdiff_t first_match(uint32_t mask, const uint8_t *h, size_t i, const uint8_t *k, size_t m) {
    while (mask) {
        unsigned bit = (unsigned)__builtin_ctz(mask);
        if (memcmp(h + i + bit, k, m) == 0) return (ptrdiff_t)(i + bit);
        mask &= mask - 1;
    }
    return -1;
}

/// The starts from `i` that the blocks did not cover, one at a time.
static inline ptrdiff_t find_tail(const uint8_t *h, size_t n, size_t i, const uint8_t *k, size_t m, size_t a, size_t b) {
    for (; i + m <= n; i++) {
        if (h[i + a] == k[a] && h[i + b] == k[b] && memcmp(h + i, k, m) == 0) return (ptrdiff_t)i;
    }
    return -1;
}

#if defined(__x86_64__)
#include <immintrin.h>

// One block of candidate starts i .. i+W-1 at a time, each with its whole
// needle inside the haystack; the two ISAs differ only in the block width.
__attribute__((target("avx2")))
static ptrdiff_t find_avx2(const uint8_t *h, size_t n, const uint8_t *k, size_t m, size_t a, size_t b) {
    const __m256i fa = _mm256_set1_epi8((char)k[a]), fb = _mm256_set1_epi8((char)k[b]);
    size_t i = 0;
    for (; i + 32 + m - 1 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(h + i + a)), y = _mm256_loadu_si256((const __m256i *)(h + i + b));
        ptrdiff_t at = first_match((uint32_t)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(x, fa), _mm256_cmpeq_epi8(y, fb))), h, i, k, m);
        if (at >= 0) return at;
    }
    return find_tail(h, n, i, k, m, a, b);
}

static ptrdiff_t find_sse2(const uint8_t *h, size_t n, const uint8_t *k, size_t m, size_t a, size_t b) {
    const __m128i fa = _mm_set1_epi8((char)k[a]), fb = _mm_set1_epi8((char)k[b]);
    size_t i = 0;
    for (; i + 16 + m - 1 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(h + i + a)), y = _mm_loadu_si128((const __m128i *)(h + i + b));
        ptrdiff_t at = first_match((uint32_t)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, fa), _mm_cmpeq_epi8(y, fb))), h, i, k, m);
        if (at >= 0) return at;
    }
    return find_tail(h, n, i, k, m, a, b);
}

static int has_avx2 = -1;

int tq_find_best_method(void) {
    int avx2 = __atomic_load_n(&has_avx2, __ATOMIC_RELAXED);
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&has_avx2, avx2, __ATOMIC_RELAXED);
    }
    return avx2 ? 2 : 1;
}
#else
int tq_find_best_method(void) { return 0; }
#endif

ptrdiff_t tq_find_using(int method, const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    if (needle_length == 0) return 0;
    if (needle_length > haystack_length) return -1;
    if (method == 0 || needle_length < 4) return found_by_memmem(haystack, haystack_length, needle, needle_length);
#if defined(__x86_64__)
    const uint8_t *h = haystack, *k = needle;
    size_t a = 1, b = needle_length - 2;
    if (method == 2) return find_avx2(h, haystack_length, k, needle_length, a, b);
    return find_sse2(h, haystack_length, k, needle_length, a, b);
#else
    return found_by_memmem(haystack, haystack_length, needle, needle_length);
#endif
}

ptrdiff_t tq_find(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return tq_find_using(tq_find_best_method(), haystack, haystack_length, needle, needle_length);
}
