// (One file on purpose: the whole C facade, so the C target stays one unit.)
// C facade over simdjson's DOM parser; see include/CSimdJSON.h for the contract.
//
// Only simdjson's error-code API is used (no exceptions). The fast path is
// simdjson's parse plus one walk over the top-level fields; everything that
// computes an error offset runs only after simdjson has rejected the input.

#include "CSimdJSON.h"
#include <string>

#include <simdjson.h>

#include <bitset>
#include <cstring>
#include <string_view>
#include <type_traits>

static_assert(TQ_JSON_PADDING == simdjson::SIMDJSON_PADDING,
              "TQ_JSON_PADDING must equal SIMDJSON_PADDING");

using namespace simdjson;

struct tq_json_parser {
    dom::parser parser;
    dom::object root;        // meaningful only while has_object
    size_t max_capacity;
    uint64_t generation = 1; // bumped by every parse; invalidates iterators
    bool has_object = false;
    // The top-level keys tq_json_parse_object extracts (tq_json_parser_set_keys).
    std::string keys[TQ_JSON_MAX_KEYS];
    size_t key_count = 0;

    // simdjson always allocates at least MINIMAL_DOCUMENT_CAPACITY bytes and
    // would report CAPACITY for short lines under a tiny limit; the limit the
    // caller asked for is enforced separately with max_capacity.
    explicit tq_json_parser(size_t capacity) noexcept
        : parser(capacity < dom::MINIMAL_DOCUMENT_CAPACITY ? dom::MINIMAL_DOCUMENT_CAPACITY : capacity),
          max_capacity(capacity) {}
};

namespace {

// simdjson keeps buffers of ~14 bytes per byte of the longest input seen.
// After an unusually long line, give them back once short lines resume.
constexpr size_t kRetainedCapacity = size_t(1) << 20;

constexpr const char *kBOMMessage = "input starts with a UTF-8 byte order mark";
constexpr const char *kNotObjectMessage = "valid JSON, but not an object";

inline bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

inline size_t skip_ws(const uint8_t *b, size_t n, size_t i) {
    while (i < n && is_ws(b[i])) { i++; }
    return i;
}

// Offset of the first byte of the first invalid or truncated UTF-8 sequence
// (overlongs, surrogates and code points above U+10FFFF are invalid), or -1.
int64_t first_invalid_utf8(const uint8_t *b, size_t n) {
    size_t i = 0;
    while (i < n) {
        const uint8_t c = b[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) { need = 1; }
        else if (c == 0xE0) { need = 2; lo = 0xA0; }
        else if (c == 0xED) { need = 2; hi = 0x9F; }
        else if (c >= 0xE1 && c <= 0xEF) { need = 2; }
        else if (c == 0xF0) { need = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) { need = 3; }
        else if (c == 0xF4) { need = 3; hi = 0x8F; }
        else { return int64_t(i); }
        if (n - i <= need || b[i + 1] < lo || b[i + 1] > hi) { return int64_t(i); }
        for (size_t k = 2; k <= need; k++) {
            if ((b[i + k] & 0xC0) != 0x80) { return int64_t(i); }
        }
        i += need + 1;
    }
    return -1;
}

// A plain, non-recursive JSON syntax checker used only on the error path to
// locate the first problem. It mirrors simdjson's grammar (including its
// surrogate-pair rules) but not its number range checks.
class syntax_scanner {
public:
    enum kind { none, syntax, truncated, trailing, too_deep };
    struct result { kind what; size_t offset; };

    syntax_scanner(const uint8_t *b, size_t n) : b_(b), n_(n) {}

    result run() {
        std::bitset<DEFAULT_MAX_DEPTH> in_object;
        size_t depth = 0;
        i_ = skip_ws(b_, n_, 0);
        for (;;) {
            // A value is expected at i_.
            if (i_ >= n_) { return {truncated, n_}; }
            const uint8_t c = b_[i_];
            if (c == '{' || c == '[') {
                if (depth == DEFAULT_MAX_DEPTH) { return {too_deep, i_}; }
                in_object[depth++] = (c == '{');
                i_ = skip_ws(b_, n_, i_ + 1);
                if (i_ >= n_) { return {truncated, n_}; }
                if (b_[i_] == (c == '{' ? '}' : ']')) {
                    depth--;
                    i_++;
                } else {
                    if (c == '{' && !key()) { return result_; }
                    continue;
                }
            } else if (c == '"') {
                if (!string()) { return result_; }
            } else if (c == 't' || c == 'f' || c == 'n') {
                const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
                if (!literal(word)) { return result_; }
            } else if (c == '-' || is_digit(c)) {
                if (!number()) { return result_; }
            } else {
                return {syntax, i_};
            }
            // After a complete value: close containers, then expect a separator.
            for (;;) {
                i_ = skip_ws(b_, n_, i_);
                if (depth == 0) { return i_ == n_ ? result{none, 0} : result{trailing, i_}; }
                if (i_ >= n_) { return {truncated, n_}; }
                if (b_[i_] == (in_object[depth - 1] ? '}' : ']')) {
                    depth--;
                    i_++;
                    continue;
                }
                if (b_[i_] != ',') { return {syntax, i_}; }
                i_ = skip_ws(b_, n_, i_ + 1);
                if (in_object[depth - 1] && !key()) { return result_; }
                break;
            }
        }
    }

private:
    bool fail(kind what, size_t at) { result_ = {what, at}; return false; }
    bool fail_truncated() { return fail(truncated, n_); }

    // `"key"` `:` at i_, leaving i_ at the value.
    bool key() {
        if (i_ >= n_) { return fail_truncated(); }
        if (b_[i_] != '"') { return fail(syntax, i_); }
        if (!string()) { return false; }
        i_ = skip_ws(b_, n_, i_);
        if (i_ >= n_) { return fail_truncated(); }
        if (b_[i_] != ':') { return fail(syntax, i_); }
        i_ = skip_ws(b_, n_, i_ + 1);
        return true;
    }

    bool hex4(size_t at, uint32_t &cp) {
        cp = 0;
        for (size_t k = 0; k < 4; k++) {
            if (at + k >= n_) { return fail_truncated(); }
            const uint8_t h = b_[at + k];
            uint32_t v;
            if (is_digit(h)) { v = h - '0'; }
            else if (h >= 'a' && h <= 'f') { v = h - 'a' + 10; }
            else if (h >= 'A' && h <= 'F') { v = h - 'A' + 10; }
            else { return fail(syntax, at + k); }
            cp = cp * 16 + v;
        }
        return true;
    }

    bool string() { // at the opening quote
        i_++;
        for (;;) {
            if (i_ >= n_) { return fail_truncated(); }
            const uint8_t c = b_[i_];
            if (c == '"') { i_++; return true; }
            if (c < 0x20) { return fail(syntax, i_); }
            if (c != '\\') { i_++; continue; }
            if (i_ + 1 >= n_) { return fail_truncated(); }
            const uint8_t e = b_[i_ + 1];
            if (e != 'u') {
                if (std::strchr("\"\\/bfnrt", e) == nullptr || e == 0) { return fail(syntax, i_); }
                i_ += 2;
                continue;
            }
            const size_t escape = i_;
            uint32_t cp;
            if (!hex4(i_ + 2, cp)) { return false; }
            i_ += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) { return fail(syntax, escape); }
            if (cp >= 0xD800 && cp <= 0xDBFF) { // must be followed by \u low surrogate
                if (i_ >= n_ || (b_[i_] == '\\' && i_ + 1 >= n_)) { return fail_truncated(); }
                if (b_[i_] != '\\' || b_[i_ + 1] != 'u') { return fail(syntax, escape); }
                uint32_t low;
                if (!hex4(i_ + 2, low)) { return false; }
                if (low < 0xDC00 || low > 0xDFFF) { return fail(syntax, escape); }
                i_ += 6;
            }
        }
    }

    bool literal(const char *word) {
        for (size_t k = 0; word[k] != 0; k++, i_++) {
            if (i_ >= n_) { return fail_truncated(); }
            if (b_[i_] != uint8_t(word[k])) { return fail(syntax, i_); }
        }
        return delimiter_follows();
    }

    bool digits() { // one or more
        if (i_ >= n_) { return fail_truncated(); }
        if (!is_digit(b_[i_])) { return fail(syntax, i_); }
        while (i_ < n_ && is_digit(b_[i_])) { i_++; }
        return true;
    }

    bool number() {
        if (b_[i_] == '-') { i_++; }
        if (i_ < n_ && b_[i_] == '0') {
            i_++;
        } else if (!digits()) {
            return false;
        }
        if (i_ < n_ && b_[i_] == '.') {
            i_++;
            if (!digits()) { return false; }
        }
        if (i_ < n_ && (b_[i_] == 'e' || b_[i_] == 'E')) {
            i_++;
            if (i_ < n_ && (b_[i_] == '+' || b_[i_] == '-')) { i_++; }
            if (!digits()) { return false; }
        }
        return delimiter_follows();
    }

    bool delimiter_follows() {
        if (i_ >= n_ || is_ws(b_[i_]) || b_[i_] == ',' || b_[i_] == ']' || b_[i_] == '}') { return true; }
        return fail(syntax, i_);
    }

    const uint8_t *b_;
    size_t n_;
    size_t i_ = 0;
    result result_{none, 0};
};

int finish(tq_json_object_info *out, int error, const char *message, int64_t offset) {
    out->error = error;
    out->message = message;
    out->error_offset = offset;
    return error;
}

int fail_from_simdjson(error_code err, const uint8_t *buf, size_t len, tq_json_object_info *out) {
    switch (err) {
    case EMPTY:
        return finish(out, TQ_JSON_EMPTY, error_message(err), -1);
    case CAPACITY:
        return finish(out, TQ_JSON_CAPACITY, error_message(err), -1);
    case UTF8_ERROR:
        return finish(out, TQ_JSON_INVALID_UTF8, error_message(err), first_invalid_utf8(buf, len));
    case DEPTH_ERROR: {
        const auto r = syntax_scanner(buf, len).run();
        return finish(out, TQ_JSON_TOO_DEEP, error_message(err),
                      r.what == syntax_scanner::too_deep ? int64_t(r.offset) : -1);
    }
    case TAPE_ERROR: case STRING_ERROR: case T_ATOM_ERROR: case F_ATOM_ERROR:
    case N_ATOM_ERROR: case NUMBER_ERROR: case UNESCAPED_CHARS: case UNCLOSED_STRING:
    case INCOMPLETE_ARRAY_OR_OBJECT: case TRAILING_CONTENT: {
        const auto r = syntax_scanner(buf, len).run();
        if (r.what == syntax_scanner::trailing) {
            return finish(out, TQ_JSON_TRAILING_CONTENT, error_message(TRAILING_CONTENT), int64_t(r.offset));
        }
        if (r.what == syntax_scanner::too_deep) { // e.g. 10,000 unclosed '['
            return finish(out, TQ_JSON_TOO_DEEP, error_message(DEPTH_ERROR), int64_t(r.offset));
        }
        return finish(out, TQ_JSON_INVALID_JSON, error_message(err),
                      r.what == syntax_scanner::none ? -1 : int64_t(r.offset));
    }
    default:
        return finish(out, TQ_JSON_OTHER, error_message(err), -1);
    }
}

int value_kind(const dom::element &e) {
    switch (e.type()) {
    case dom::element_type::ARRAY: return TQ_JSON_ARRAY;
    case dom::element_type::OBJECT: return TQ_JSON_OBJECT;
    case dom::element_type::INT64: return TQ_JSON_INT64;
    case dom::element_type::UINT64: return TQ_JSON_UINT64;
    case dom::element_type::DOUBLE: return TQ_JSON_DOUBLE;
    case dom::element_type::STRING: return TQ_JSON_STRING;
    case dom::element_type::BOOL: return TQ_JSON_BOOL;
    case dom::element_type::NULL_VALUE: return TQ_JSON_NULL;
    }
    return TQ_JSON_ABSENT;
}

void fill_key(const dom::element &e, tq_json_key *k) {
    switch (e.type()) {
    case dom::element_type::STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        *k = {TQ_JSON_KEY_STRING, s.data(), s.size()};
        return;
    }
    case dom::element_type::NULL_VALUE: k->kind = TQ_JSON_KEY_NULL; return;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: k->kind = TQ_JSON_KEY_NUMBER; return;
    default: k->kind = TQ_JSON_KEY_OTHER; return;
    }
}

void fill_value(const dom::element &e, tq_json_value *v) {
    *v = tq_json_value{};
    v->kind = value_kind(e);
    switch (v->kind) {
    case TQ_JSON_STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        v->str = s.data();
        v->len = s.size();
        break;
    }
    case TQ_JSON_BOOL: v->b = e.get_bool().value_unsafe() ? 1 : 0; break;
    case TQ_JSON_INT64: v->i = e.get_int64().value_unsafe(); break;
    case TQ_JSON_UINT64: v->u = e.get_uint64().value_unsafe(); break;
    case TQ_JSON_DOUBLE: v->d = e.get_double().value_unsafe(); break;
    case TQ_JSON_ARRAY: v->count = e.get_array().value_unsafe().size(); break;
    case TQ_JSON_OBJECT: v->count = e.get_object().value_unsafe().size(); break;
    default: break;
    }
}

// What a tq_json_field_iter holds.
struct iter_state {
    dom::object::iterator it;
    uint64_t generation;
};
static_assert(sizeof(iter_state) <= sizeof(tq_json_field_iter), "tq_json_field_iter too small");
static_assert(std::is_trivially_copyable<iter_state>::value, "iterator must be memcpy-able");

} // namespace

extern "C" {

tq_json_parser *tq_json_parser_create(size_t max_capacity) {
    if (max_capacity > SIMDJSON_MAXSIZE_BYTES) { max_capacity = SIMDJSON_MAXSIZE_BYTES; }
    try {
        return new tq_json_parser(max_capacity);
    } catch (...) {
        return nullptr;
    }
}

void tq_json_parser_destroy(tq_json_parser *p) { delete p; }

int tq_json_parser_set_keys(tq_json_parser *p, const char *const *names, const size_t *lengths, size_t count) {
    if (p == nullptr || count > TQ_JSON_MAX_KEYS) { return 0; }
    try {
        for (size_t i = 0; i < count; i++) { p->keys[i].assign(names[i], lengths[i]); }
    } catch (...) {
        return 0;
    }
    p->key_count = count;
    return 1;
}

int tq_json_parse_object(tq_json_parser *p, const uint8_t *buf, size_t len, tq_json_object_info *out) {
    *out = tq_json_object_info{};
    out->error_offset = -1;
    if (p == nullptr) { return finish(out, TQ_JSON_OTHER, "out of memory: no JSON parser", -1); }
    p->has_object = false;
    p->generation++;

    if (len > p->max_capacity) { return finish(out, TQ_JSON_CAPACITY, error_message(CAPACITY), -1); }
    if (len == 0) { return finish(out, TQ_JSON_EMPTY, error_message(EMPTY), -1); }
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
        return finish(out, TQ_JSON_BOM, kBOMMessage, 0);
    }

    if (p->parser.capacity() > kRetainedCapacity && len <= kRetainedCapacity) {
        p->parser = dom::parser(p->parser.max_capacity()); // frees; re-allocates lazily
    }

    dom::element root;
    const error_code err = p->parser.parse(buf, len, /*realloc_if_needed=*/false).get(root);
    if (err != SUCCESS) { return fail_from_simdjson(err, buf, len, out); }

    out->root_kind = value_kind(root);
    if (out->root_kind != TQ_JSON_OBJECT) {
        return finish(out, TQ_JSON_NOT_AN_OBJECT, kNotObjectMessage, int64_t(skip_ws(buf, len, 0)));
    }
    p->root = root.get_object().value_unsafe();
    p->has_object = true;

    // First occurrence of each wanted key wins; stop once all are found.
    size_t found = 0;
    const size_t wanted = p->key_count;
    const auto end = p->root.end();
    for (auto field = p->root.begin(); field != end && found < wanted; ++field) {
        const char *key = field.key_c_str();
        const size_t length = field.key_length();
        for (size_t k = 0; k < wanted; k++) {
            tq_json_key *slot = &out->keys[k];
            if (slot->kind == TQ_JSON_KEY_ABSENT && p->keys[k].size() == length
                && std::memcmp(key, p->keys[k].data(), length) == 0) {
                fill_key(field.value(), slot);
                found++;
                break;
            }
        }
    }
    return finish(out, TQ_JSON_OK, error_message(SUCCESS), -1);
}

int tq_json_get_field(const tq_json_parser *p, const char *key, size_t key_len, tq_json_value *out) {
    *out = tq_json_value{};
    dom::element value;
    if (p == nullptr || !p->has_object || p->root.at_key(std::string_view(key, key_len)).get(value) != SUCCESS) { return 0; }
    fill_value(value, out);
    return 1;
}

size_t tq_json_field_count(const tq_json_parser *p) {
    return p != nullptr && p->has_object ? p->root.size() : 0;
}

void tq_json_fields_begin(const tq_json_parser *p, tq_json_field_iter *it) {
    iter_state state{};
    if (p != nullptr && p->has_object) {
        state.it = p->root.begin();
        state.generation = p->generation;
    }
    *it = tq_json_field_iter{};
    std::memcpy(it, &state, sizeof state);
}

int tq_json_fields_next(const tq_json_parser *p, tq_json_field_iter *it,
                        const char **key, size_t *key_len, tq_json_value *out) {
    iter_state state;
    std::memcpy(&state, it, sizeof state);
    if (p == nullptr || !p->has_object || state.generation != p->generation || !(state.it != p->root.end())) { return 0; }
    *key = state.it.key_c_str();
    *key_len = state.it.key_length();
    fill_value(state.it.value(), out);
    ++state.it;
    std::memcpy(it, &state, sizeof state);
    return 1;
}

} // extern "C"
