#ifndef CSIMDJSON_H
#define CSIMDJSON_H

/*
 * A small C facade over simdjson's DOM parser (Debian libsimdjson-dev),
 * shaped for JSONL: validate that a line is exactly one JSON object and
 * pull out up to TQ_JSON_MAX_KEYS top-level keys the caller names
 * (tq_json_parser_set_keys), without allocating per line. It knows no
 * field names of its own.
 *
 * Every function accepts a NULL parser (tq_json_parser_create failed) and
 * treats it as one that never parsed an object.
 *
 * Threading: a parser is not thread-safe. Use one parser per thread (or
 * guard it). The read-only functions (tq_json_get_field, tq_json_field_count,
 * tq_json_fields_begin/next) do not modify the parser and may run
 * concurrently with each other, but never concurrently with
 * tq_json_parse_object on the same parser.
 *
 * No function lets a C++ exception escape.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Number of bytes that must be *readable* (any content) right after the
/// `len` input bytes passed to tq_json_parse_object. Equals SIMDJSON_PADDING.
#define TQ_JSON_PADDING 64

/// The most top-level keys one parser extracts on every parse.
#define TQ_JSON_MAX_KEYS 4

/// Opaque parser: simdjson's dom::parser plus the last parsed document.
typedef struct tq_json_parser tq_json_parser;

/// Result codes of tq_json_parse_object (stored in tq_json_object_info.error).
enum {
    TQ_JSON_OK = 0,               ///< exactly one JSON object
    TQ_JSON_EMPTY = 1,            ///< empty or whitespace-only input
    TQ_JSON_NOT_AN_OBJECT = 2,    ///< valid JSON, but not an object (see root_kind)
    TQ_JSON_INVALID_JSON = 3,     ///< syntax error (message says which kind)
    TQ_JSON_INVALID_UTF8 = 4,     ///< input is not valid UTF-8
    TQ_JSON_BOM = 5,              ///< input starts with the UTF-8 BOM EF BB BF
    TQ_JSON_TOO_DEEP = 6,         ///< arrays/objects nested deeper than 1024 levels
    TQ_JSON_CAPACITY = 7,         ///< longer than the parser's max_capacity
    TQ_JSON_TRAILING_CONTENT = 8, ///< a complete JSON value followed by more non-whitespace
    TQ_JSON_OTHER = 9             ///< out of memory or an unexpected simdjson failure
};

/// Kinds of the extracted keys (tq_json_key.kind).
enum {
    TQ_JSON_KEY_ABSENT = 0,
    TQ_JSON_KEY_STRING = 1,
    TQ_JSON_KEY_NULL = 2,
    TQ_JSON_KEY_NUMBER = 3,
    TQ_JSON_KEY_OTHER = 4 ///< bool, array or object
};

/// Kinds of generic values (tq_json_value.kind, tq_json_object_info.root_kind).
enum {
    TQ_JSON_ABSENT = 0,
    TQ_JSON_STRING = 1,
    TQ_JSON_NULL = 2,
    TQ_JSON_BOOL = 3,
    TQ_JSON_INT64 = 4,
    TQ_JSON_UINT64 = 5, ///< only for integers above INT64_MAX
    TQ_JSON_DOUBLE = 6,
    TQ_JSON_ARRAY = 7,
    TQ_JSON_OBJECT = 8
};

/// One extracted top-level key. For TQ_JSON_KEY_STRING, `str`/`len` is the
/// decoded UTF-8 (escapes resolved, may contain NUL bytes; also NUL
/// terminated) in parser-owned memory, valid until the next
/// tq_json_parse_object or tq_json_parser_destroy on the same parser.
/// For every other kind `str` is NULL and `len` is 0.
typedef struct tq_json_key {
    int kind;
    const char *str;
    size_t len;
} tq_json_key;

/// Everything tq_json_parse_object reports about one line.
typedef struct tq_json_object_info {
    /// TQ_JSON_OK or one of the error codes above.
    int error;
    /// For TQ_JSON_NOT_AN_OBJECT: the TQ_JSON_* value kind of the root value.
    /// TQ_JSON_OBJECT on success, TQ_JSON_ABSENT on the other errors.
    int root_kind;
    /// Short static English text for `error` (simdjson's own text where the
    /// error comes from simdjson). Never NULL; static storage.
    const char *message;
    /// Best-effort byte offset of the error within the input, -1 if unknown
    /// or not applicable. Exact for TQ_JSON_INVALID_UTF8 (start of the first
    /// invalid or truncated sequence), TQ_JSON_BOM (0), truncated input (len),
    /// trailing content (first byte after the value) and TQ_JSON_TOO_DEEP
    /// (the bracket past the limit). For other syntax errors it comes from a
    /// simple re-scan and is approximate; -1 for numbers out of range.
    /// TQ_JSON_NOT_AN_OBJECT: the first non-whitespace byte.
    int64_t error_offset;
    /// The first occurrence of each key set with tq_json_parser_set_keys, in
    /// that order (all TQ_JSON_KEY_ABSENT unless error == TQ_JSON_OK; the
    /// slots past the number of keys set stay absent).
    tq_json_key keys[TQ_JSON_MAX_KEYS];
} tq_json_object_info;

/// A generic JSON value from the last parsed document. Only the fields for
/// `kind` are meaningful; the others are zero/NULL.
///  - STRING: `str`/`len` decoded UTF-8 in parser-owned memory (same
///    lifetime as tq_json_key.str).
///  - BOOL: `b` (0 or 1). INT64: `i`. UINT64: `u`. DOUBLE: `d`.
///  - ARRAY / OBJECT: `count` = number of elements / fields.
typedef struct tq_json_value {
    int kind;
    const char *str;
    size_t len;
    int64_t i;
    uint64_t u;
    double d;
    int b;
    size_t count;
} tq_json_value;

/// Iterator over the top-level fields of the last parsed object, in document
/// order (duplicates included). Treat as opaque; it is a plain value that
/// may be copied. It ends (tq_json_fields_next returns 0) once the parser
/// has parsed another line, so a stale iterator is harmless.
typedef struct tq_json_field_iter {
    uint64_t opaque[4];
} tq_json_field_iter;

/// Creates a parser that accepts inputs of up to `max_capacity` bytes
/// (clamped to simdjson's 4 GiB limit). Internal buffers (about 14 bytes per
/// input byte) are allocated lazily and grow to the longest input seen; after
/// an input above 1 MiB they are freed again at the next shorter one.
/// Returns NULL if out of memory. Free with tq_json_parser_destroy.
tq_json_parser *tq_json_parser_create(size_t max_capacity);

/// Frees the parser and every pointer it handed out. NULL is a no-op.
void tq_json_parser_destroy(tq_json_parser *p);

/// Sets the top-level keys every later tq_json_parse_object extracts into
/// tq_json_object_info.keys[0..count): names[i][0..lengths[i]) (copied).
/// Returns 1, or 0 (keys unchanged) when count > TQ_JSON_MAX_KEYS, p is
/// NULL or memory runs out. A new parser extracts no keys.
int tq_json_parser_set_keys(tq_json_parser *p, const char *const *names, const size_t *lengths, size_t count);

/// Validates that buf[0..len) is exactly one JSON object, optionally
/// surrounded by JSON whitespace, with full validation of the whole input
/// (syntax, UTF-8, string escapes, number ranges). `buf` may be NULL only if
/// len is 0. REQUIRES: TQ_JSON_PADDING readable bytes after buf[len - 1]
/// (their content is irrelevant and never modified).
///
/// A NULL parser (one that could not be allocated) reports TQ_JSON_OTHER.
/// Fills *out (always, on every path) and returns out->error. On TQ_JSON_OK
/// the document stays available to tq_json_get_field & co. until the next
/// call; on any error the previous document is gone.
int tq_json_parse_object(tq_json_parser *p, const uint8_t *buf, size_t len,
                         tq_json_object_info *out);

/// Looks up the first top-level field named key[0..key_len) (compared
/// byte-wise with the decoded key) in the last successfully parsed object.
/// Returns 1 and fills *out if found; returns 0 and sets out->kind to
/// TQ_JSON_ABSENT if the key is absent or there is no parsed object.
int tq_json_get_field(const tq_json_parser *p, const char *key, size_t key_len,
                      tq_json_value *out);

/// Number of top-level fields (duplicates included) of the last successfully
/// parsed object; 0 if there is none.
size_t tq_json_field_count(const tq_json_parser *p);

/// Positions *it before the first top-level field of the last successfully
/// parsed object (an empty iteration if there is none).
void tq_json_fields_begin(const tq_json_parser *p, tq_json_field_iter *it);

/// Reads the field at *it and advances. Returns 1 with *key/*key_len (decoded
/// UTF-8 in parser-owned memory) and *out filled, or 0 at the end.
int tq_json_fields_next(const tq_json_parser *p, tq_json_field_iter *it,
                        const char **key, size_t *key_len, tq_json_value *out);

#ifdef __cplusplus
}
#endif

#endif
