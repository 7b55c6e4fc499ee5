/* (One self-contained file on purpose: the tests build it with one cc call.) */
/*
 * torqlog_fault_shim.c: an LD_PRELOAD library that counts, and on request
 * fails, the file operations a process makes on files under one directory.
 *
 * The test suite (Tests/TorqLogCLITests/Support/FaultShim.swift) builds it at
 * test time with
 *
 *     cc -shared -fPIC -O2 -o LIB.so torqlog_fault_shim.c -ldl
 *
 * and runs the real `torqlog` binary with LD_PRELOAD=LIB.so, so that the N-th
 * write, fdatasync, rename... of a run can be made to fail the way a failing
 * disk or a full file system would make it fail.
 *
 * INTERPOSED FUNCTIONS, BY OPERATION ("op")
 *
 *     write      write, pwrite, pwrite64, writev
 *     fdatasync  fdatasync
 *     fsync      fsync
 *     rename     rename, renameat, renameat2
 *     open       open, open64, openat, openat64, creat, creat64,
 *                __open_2, __open64_2, __openat_2, __openat64_2 (the
 *                _FORTIFY_SOURCE entry points of C code)
 *     ftruncate  ftruncate, ftruncate64
 *     unlink     unlink, unlinkat
 *
 * Each interposed function forwards to the next definition of the same
 * symbol (dlsym(RTLD_NEXT, ...): glibc's). Only calls that go through the
 * dynamic symbol table are seen: glibc's own internal calls (fopen's open,
 * fwrite's write, remove's unlink) and raw syscall(2)s are not.
 *
 * WHICH CALLS COUNT
 *
 * A call counts when the file it acts on is under $TORQLOG_FAULT_DIR (the
 * directory itself included: an fsync of the directory's descriptor counts):
 *   - descriptor calls (write, fdatasync, ftruncate...): the descriptor's
 *     path, read with readlink("/proc/self/fd/N") at every call (nothing is
 *     cached, so a reused descriptor number is never mistaken). Pipes,
 *     sockets, terminals, and so stdout and stderr of a test run, never count.
 *   - path calls (open, rename, unlink): the path, made absolute against the
 *     current directory or the dirfd's path, normalised (".", "..", "//"), and
 *     with its parent directory resolved by realpath(3) (symbolic links).
 *     rename counts when either the old or the new path is under the directory.
 * Calls that do not count are passed straight to libc, untouched.
 * Without $TORQLOG_FAULT_DIR nothing counts (the shim is inert).
 *
 * ENVIRONMENT (read once, at the first interposed call)
 *
 *   TORQLOG_FAULT_DIR    the directory (need not exist yet; relative to the
 *                        current directory of the process at its first call).
 *   TORQLOG_FAULT_OP     write | fdatasync | fsync | rename | open | ftruncate
 *                        | unlink: the op to fail. Unset or empty: count only.
 *   TORQLOG_FAULT_AT     N >= 1 (default 1): the N-th counted call of that op
 *                        (counted in this process) fails.
 *   TORQLOG_FAULT_ERRNO  EIO (default), ENOSPC, EACCES, EDQUOT, EROFS, EPERM,
 *                        EFBIG, EINTR, EAGAIN, EBADF, ENOENT, EEXIST, EMFILE,
 *                        ENFILE, or a positive number: the errno set.
 *   TORQLOG_FAULT_MODE   once (default): only the failing call fails, every
 *                        later call works (what Linux does after a failed
 *                        fdatasync: the error is reported once);
 *                        sticky: every counted call of the op from the failing
 *                        one on fails (a disk that stays full or broken).
 *   TORQLOG_FAULT_SHORT  1: (op write only) the N-th counted write is a short
 *                        write instead: when it would write 2 bytes or more,
 *                        the first half of them (count / 2, rounded down) is
 *                        written for real and that count returned, errno
 *                        untouched; a write of 0 or 1 byte fails outright
 *                        instead. The failing call is then the N+1-th counted
 *                        write (once: only that one; sticky: it and every
 *                        later one). For writev, "the bytes" are the sum of the
 *                        iovec lengths and the first half of them is written.
 *   TORQLOG_FAULT_LOG    a file that gets one line appended per event (below).
 *
 * An invalid setting (unknown op or errno name, AT not a positive number) is
 * reported on stderr ("torqlog_fault_shim: ...") and in the log ("error ..."),
 * and disables injection: the shim then only counts.
 *
 * A failed call never reaches the kernel: no byte is written, the file is not
 * synced, renamed, opened, created or truncated; the call returns -1 with errno
 * set. (So after an injected fdatasync failure the data is still in the page
 * cache and a later fdatasync writes it: kinder than a real disk error, which
 * may drop the dirty pages. Tests about "what the program does after the
 * error" are unaffected.)
 *
 * LOG ($TORQLOG_FAULT_LOG)
 *
 * One line per event, appended (O_APPEND, one write(2) per line, the file
 * opened and closed around each line) at the moment it happens, so a process
 * that is SIGKILLed or calls _exit() still leaves its counts, and several
 * processes can share one log. Fields are separated by single spaces:
 *
 *   OP N SYMBOL PID PATH          a counted call: the N-th call of OP in process
 *                                 PID, through libc symbol SYMBOL, on PATH (for
 *                                 rename: "OLD -> NEW"); written before the
 *                                 call is made or failed. PATH runs to the end
 *                                 of the line (newlines in it become '?').
 *   injected OP N ERRNAME SYMBOL PID
 *                                 that call was failed with errno ERRNAME (the
 *                                 name, e.g. EIO, or the number for others).
 *   short OP N WROTE/ASKED SYMBOL PID
 *                                 that call was made a short write: WROTE of
 *                                 ASKED bytes were written.
 *   total OP N PID                at normal process exit (a destructor), one per
 *                                 op: how many calls of OP counted in PID.
 *   error MESSAGE                 a configuration problem (see above).
 *
 * So the number of calls of an op is the number of lines starting with the
 * op's name (the "total" lines are only a cross-check, absent after a kill).
 *
 * The shim's own I/O uses the real functions, never the interposed ones; the
 * counters are __atomic; errno is preserved around the shim's own work; and a
 * failure of the shim itself (no /proc, an unwritable log) only means a call is
 * not counted or not logged, never that the host crashes.
 */

/* Distributions build with -D_FORTIFY_SOURCE by default, which turns open()
 * and friends into inline wrappers in the headers: those would clash with the
 * definitions below. */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Operations                                                                */

enum op { OP_WRITE, OP_FDATASYNC, OP_FSYNC, OP_RENAME, OP_OPEN, OP_FTRUNCATE, OP_UNLINK, OP_COUNT };

static const char *const op_names[OP_COUNT] = {
    "write", "fdatasync", "fsync", "rename", "open", "ftruncate", "unlink",
};

/* ------------------------------------------------------------------------ */
/* The real functions                                                        */

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*sync_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*creat_fn)(const char *, mode_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*ftruncate64_fn)(int, off64_t);
typedef int (*unlink_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);

static struct {
    write_fn write;
    pwrite_fn pwrite;
    pwrite64_fn pwrite64;
    writev_fn writev;
    sync_fn fdatasync, fsync;
    rename_fn rename;
    renameat_fn renameat;
    renameat2_fn renameat2; /* NULL when this libc has none */
    open_fn open, open64;
    openat_fn openat, openat64;
    creat_fn creat, creat64;
    ftruncate_fn ftruncate;
    ftruncate64_fn ftruncate64;
    unlink_fn unlink;
    unlinkat_fn unlinkat;
} real;

/* ------------------------------------------------------------------------ */
/* Configuration, read once                                                  */

static struct {
    int dir_set;              /* TORQLOG_FAULT_DIR given */
    char dir_lex[PATH_MAX];   /* its absolute, normalised form */
    char dir_real[PATH_MAX];  /* the same with symbolic links resolved ("" if unknown) */
    int inject;               /* an op to fail is configured (and valid) */
    enum op op;
    long at;                  /* 1-based */
    int err;                  /* errno to set */
    char err_name[32];
    int sticky;
    int shortw;               /* TORQLOG_FAULT_SHORT=1 (op write only) */
    char log[PATH_MAX];       /* "" when no log */
} cfg;

static long counts[OP_COUNT]; /* counted calls so far, per op (__atomic) */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *next_symbol(const char *name) { return dlsym(RTLD_NEXT, name); }

/* Appends `line` (len bytes) to the log with the real functions; errno is preserved. */
static void log_raw(const char *line, size_t len) {
    if (!cfg.log[0] || !real.open || !real.write) return;
    int saved = errno;
    int fd = real.open(cfg.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        (void)real.write(fd, line, len);
        close(fd);
    }
    errno = saved;
}

/* printf-style log line; a line that does not fit in the buffer is cut (it still ends with '\n'). */
static void log_line(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *format, ...) {
    if (!cfg.log[0]) return;
    int saved = errno;
    char buf[3 * PATH_MAX + 256];
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(buf, sizeof buf, format, ap);
    va_end(ap);
    if (n < 0) { errno = saved; return; }
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (len == 0 || buf[len - 1] != '\n') {
        if (len == sizeof buf - 1) len--;
        buf[len++] = '\n';
    }
    /* Paths with newlines must not split a record. */
    for (size_t i = 0; i + 1 < len; i++) if (buf[i] == '\n') buf[i] = '?';
    log_raw(buf, len);
    errno = saved;
}

/* A configuration problem: on stderr (real write) and in the log. */
static void config_error(const char *what, const char *value) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "torqlog_fault_shim: %s '%s'; fault injection disabled (counting only)\n", what, value);
    if (n > 0 && real.write) (void)real.write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    log_line("error %s '%s'", what, value);
}

/* Normalises absolute path `in` lexically ("//", ".", ".." removed) into `out`; 0 on success. */
static int normalize(const char *in, char *out, size_t cap) {
    if (in[0] != '/' || cap < 2) return -1;
    size_t len = 0;
    const char *p = in;
    out[0] = '\0';
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        if (n == 1 && start[0] == '.') continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--; /* the slash */
            out[len] = '\0';
            continue;
        }
        if (len + 1 + n + 1 > cap) return -1;
        out[len++] = '/';
        memcpy(out + len, start, n);
        len += n;
        out[len] = '\0';
    }
    if (len == 0) { out[0] = '/'; out[1] = '\0'; }
    return 0;
}

/* `normalized` with its parent directory resolved by realpath(3) into `out`; 0 on success. */
static int resolve_parent(const char *normalized, char *out, size_t cap) {
    if (strcmp(normalized, "/") == 0) { snprintf(out, cap, "/"); return 0; }
    const char *slash = strrchr(normalized, '/');
    char parent[PATH_MAX];
    size_t plen = (size_t)(slash - normalized);
    if (plen == 0) { parent[0] = '/'; parent[1] = '\0'; }
    else {
        if (plen >= sizeof parent) return -1;
        memcpy(parent, normalized, plen);
        parent[plen] = '\0';
    }
    char resolved[PATH_MAX];
    if (!realpath(parent, resolved)) return -1;
    int n = snprintf(out, cap, "%s/%s", strcmp(resolved, "/") == 0 ? "" : resolved, slash + 1);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Whether `path` (absolute) is `dir` or below it. */
static int is_under(const char *path, const char *dir) {
    if (!dir[0]) return 0;
    if (strcmp(dir, "/") == 0) return path[0] == '/';
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int in_fault_dir(const char *path) {
    return is_under(path, cfg.dir_lex) || is_under(path, cfg.dir_real);
}

static int parse_errno(const char *s, int *out) {
    static const struct { const char *name; int value; } names[] = {
        {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EACCES", EACCES}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS},
        {"EPERM", EPERM}, {"EFBIG", EFBIG}, {"EINTR", EINTR}, {"EAGAIN", EAGAIN}, {"EBADF", EBADF},
        {"ENOENT", ENOENT}, {"EEXIST", EEXIST}, {"EMFILE", EMFILE}, {"ENFILE", ENFILE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) { *out = names[i].value; return 0; }
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v > 0 && v < 4096) { *out = (int)v; return 0; }
    return -1;
}

static void init(void) {
    real.write = (write_fn)next_symbol("write");
    real.pwrite = (pwrite_fn)next_symbol("pwrite");
    real.pwrite64 = (pwrite64_fn)next_symbol("pwrite64");
    real.writev = (writev_fn)next_symbol("writev");
    real.fdatasync = (sync_fn)next_symbol("fdatasync");
    real.fsync = (sync_fn)next_symbol("fsync");
    real.rename = (rename_fn)next_symbol("rename");
    real.renameat = (renameat_fn)next_symbol("renameat");
    real.renameat2 = (renameat2_fn)next_symbol("renameat2");
    real.open = (open_fn)next_symbol("open");
    real.open64 = (open_fn)next_symbol("open64");
    real.openat = (openat_fn)next_symbol("openat");
    real.openat64 = (openat_fn)next_symbol("openat64");
    real.creat = (creat_fn)next_symbol("creat");
    real.creat64 = (creat_fn)next_symbol("creat64");
    real.ftruncate = (ftruncate_fn)next_symbol("ftruncate");
    real.ftruncate64 = (ftruncate64_fn)next_symbol("ftruncate64");
    real.unlink = (unlink_fn)next_symbol("unlink");
    real.unlinkat = (unlinkat_fn)next_symbol("unlinkat");
    /* The 64-bit names are aliases on 64-bit Linux; fall back to the plain ones elsewhere. */
    if (!real.open64) real.open64 = real.open;
    if (!real.openat64) real.openat64 = real.openat;
    if (!real.creat64) real.creat64 = real.creat;
    if (!real.pwrite64) real.pwrite64 = (pwrite64_fn)real.pwrite;
    if (!real.ftruncate64) real.ftruncate64 = (ftruncate64_fn)real.ftruncate;

    const char *log = getenv("TORQLOG_FAULT_LOG");
    if (log && *log && strlen(log) < sizeof cfg.log) {
        if (log[0] == '/') snprintf(cfg.log, sizeof cfg.log, "%s", log);
        else {
            /* Relative: fixed now, so a chdir later does not move the log. */
            char cwd[PATH_MAX];
            if (getcwd(cwd, sizeof cwd)) {
                int n = snprintf(cfg.log, sizeof cfg.log, "%s/%s", cwd, log);
                if (n < 0 || (size_t)n >= sizeof cfg.log) cfg.log[0] = '\0'; /* too long: no log */
            }
        }
    }

    const char *dir = getenv("TORQLOG_FAULT_DIR");
    if (dir && *dir) {
        char absolute[PATH_MAX];
        int n;
        if (dir[0] == '/') n = snprintf(absolute, sizeof absolute, "%s", dir);
        else {
            char cwd[PATH_MAX];
            if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
            n = snprintf(absolute, sizeof absolute, "%s/%s", cwd, dir);
        }
        if (n > 0 && (size_t)n < sizeof absolute && normalize(absolute, cfg.dir_lex, sizeof cfg.dir_lex) == 0) {
            cfg.dir_set = 1;
            /* The directory may not exist yet (a store is created by its first writer):
             * resolve it if it does, else its parent. */
            if (!realpath(cfg.dir_lex, cfg.dir_real) &&
                resolve_parent(cfg.dir_lex, cfg.dir_real, sizeof cfg.dir_real) != 0) {
                cfg.dir_real[0] = '\0';
            }
        } else {
            config_error("TORQLOG_FAULT_DIR is not a usable path:", dir);
        }
    }

    const char *op = getenv("TORQLOG_FAULT_OP");
    if (op && *op) {
        int found = -1;
        for (int i = 0; i < OP_COUNT; i++) if (strcmp(op, op_names[i]) == 0) found = i;
        int ok = 1;
        if (found < 0) { config_error("unknown TORQLOG_FAULT_OP", op); ok = 0; }
        else cfg.op = (enum op)found;

        cfg.at = 1;
        const char *at = getenv("TORQLOG_FAULT_AT");
        if (ok && at && *at) {
            char *end;
            long v = strtol(at, &end, 10);
            if (*end || v < 1) { config_error("TORQLOG_FAULT_AT is not a positive number:", at); ok = 0; }
            else cfg.at = v;
        }

        cfg.err = EIO;
        snprintf(cfg.err_name, sizeof cfg.err_name, "EIO");
        const char *e = getenv("TORQLOG_FAULT_ERRNO");
        if (ok && e && *e) {
            if (parse_errno(e, &cfg.err) != 0) { config_error("unknown TORQLOG_FAULT_ERRNO", e); ok = 0; }
            else if (e[0] >= '0' && e[0] <= '9') snprintf(cfg.err_name, sizeof cfg.err_name, "%d", cfg.err);
            else {
                size_t i = 0;
                for (; e[i] && i + 1 < sizeof cfg.err_name; i++) cfg.err_name[i] = (char)(e[i] >= 'a' && e[i] <= 'z' ? e[i] - 32 : e[i]);
                cfg.err_name[i] = '\0';
            }
        }

        const char *mode = getenv("TORQLOG_FAULT_MODE");
        if (ok && mode && *mode) {
            if (strcmp(mode, "sticky") == 0) cfg.sticky = 1;
            else if (strcmp(mode, "once") != 0) { config_error("unknown TORQLOG_FAULT_MODE", mode); ok = 0; }
        }

        const char *s = getenv("TORQLOG_FAULT_SHORT");
        cfg.shortw = s && strcmp(s, "1") == 0 && cfg.op == OP_WRITE;

        if (ok && !cfg.dir_set) { config_error("TORQLOG_FAULT_OP is set but TORQLOG_FAULT_DIR is not:", op); ok = 0; }
        cfg.inject = ok;
    }
}

static inline void ensure_init(void) {
    int saved = errno;
    pthread_once(&once, init);
    errno = saved;
}

/* At normal exit: the totals, as a cross-check of the per-call lines. */
__attribute__((destructor)) static void report_totals(void) {
    ensure_init();
    if (!cfg.log[0] || !cfg.dir_set) return;
    int pid = (int)getpid();
    for (int i = 0; i < OP_COUNT; i++) {
        log_line("total %s %ld %d", op_names[i], __atomic_load_n(&counts[i], __ATOMIC_SEQ_CST), pid);
    }
}

/* ------------------------------------------------------------------------ */
/* Deciding                                                                  */

enum verdict { PASS, FAIL, SHORT };

/* A counted call of `op`: numbers it, logs it, and says what to do with it. */
static enum verdict count_call(enum op op, const char *symbol, const char *path, long *nth) {
    long n = __atomic_add_fetch(&counts[op], 1, __ATOMIC_SEQ_CST);
    *nth = n;
    log_line("%s %ld %s %d %s", op_names[op], n, symbol, (int)getpid(), path);
    if (!cfg.inject || op != cfg.op) return PASS;
    long fail_from = cfg.at;
    if (cfg.shortw) {
        if (n == cfg.at) return SHORT;
        fail_from = cfg.at + 1;
    }
    if (cfg.sticky ? n >= fail_from : n == fail_from) return FAIL;
    return PASS;
}

/* Fails call `nth` of `op`: logs it, sets errno, returns -1. */
static int inject(enum op op, const char *symbol, long nth) {
    log_line("injected %s %ld %s %s %d", op_names[op], nth, cfg.err_name, symbol, (int)getpid());
    errno = cfg.err;
    return -1;
}

static void log_short(long nth, size_t wrote, size_t asked, const char *symbol) {
    log_line("short write %ld %zu/%zu %s %d", nth, wrote, asked, symbol, (int)getpid());
}

/* The path of descriptor `fd` when it is under the directory (then 1), else 0. */
static int fd_counts(int fd, char *path, size_t cap) {
    if (!cfg.dir_set || fd < 0) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int saved = errno;
    ssize_t n = readlink(link, path, cap - 1);
    errno = saved;
    if (n <= 0) return 0;
    path[n] = '\0';
    return path[0] == '/' && in_fault_dir(path);
}

/* Whether `path`, relative to `dirfd` (or AT_FDCWD), is under the directory; its resolved form in `out`. */
static int path_counts(int dirfd, const char *path, char *out, size_t cap) {
    if (!cfg.dir_set || !path || !*path) return 0;
    int saved = errno;
    char joined[2 * PATH_MAX];
    int ok = 1, n = 0;
    if (path[0] == '/') n = snprintf(joined, sizeof joined, "%s", path);
    else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) ok = 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t len = readlink(link, base, sizeof base - 1);
            if (len <= 0) ok = 0; else base[len] = '\0';
        }
        if (ok) n = snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    if (n <= 0 || (size_t)n >= sizeof joined) ok = 0; /* (a path too long to be opened anyway) */
    int result = 0;
    char lex[PATH_MAX];
    if (ok && normalize(joined, lex, sizeof lex) == 0) {
        if (resolve_parent(lex, out, cap) != 0) snprintf(out, cap, "%s", lex);
        result = in_fault_dir(lex) || in_fault_dir(out);
    }
    errno = saved;
    return result;
}

/* ------------------------------------------------------------------------ */
/* write, pwrite, pwrite64, writev                                           */

ssize_t write(int fd, const void *buf, size_t count) {
    ensure_init();
    char path[PATH_MAX];
    if (!fd_counts(fd, path, sizeof path)) return real.write(fd, buf, count);
    long nth;
    switch (count_call(OP_WRITE, "write", path, &nth)) {
    case PASS: break;
    case FAIL: return inject(OP_WRITE, "write", nth);
    case SHORT:
        if (count < 2) return inject(OP_WRITE, "write", nth);
        {
            ssize_t r = real.write(fd, buf, count / 2);
            log_short(nth, r < 0 ? 0 : (size_t)r, count, "write");
            return r;
        }
    }
    return real.write(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    ensure_init();
    char path[PATH_MAX];
    if (!fd_counts(fd, path, sizeof path)) return real.pwrite(fd, buf, count, offset);
    long nth;
    switch (count_call(OP_WRITE, "pwrite", path, &nth)) {
    case PASS: break;
    case FAIL: return inject(OP_WRITE, "pwrite", nth);
    case SHORT:
        if (count < 2) return inject(OP_WRITE, "pwrite", nth);
        {
            ssize_t r = real.pwrite(fd, buf, count / 2, offset);
            log_short(nth, r < 0 ? 0 : (size_t)r, count, "pwrite");
            return r;
        }
    }
    return real.pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
    ensure_init();
    char path[PATH_MAX];
    if (!fd_counts(fd, path, sizeof path)) return real.pwrite64(fd, buf, count, offset);
    long nth;
    switch (count_call(OP_WRITE, "pwrite64", path, &nth)) {
    case PASS: break;
    case FAIL: return inject(OP_WRITE, "pwrite64", nth);
    case SHORT:
        if (count < 2) return inject(OP_WRITE, "pwrite64", nth);
        {
            ssize_t r = real.pwrite64(fd, buf, count / 2, offset);
            log_short(nth, r < 0 ? 0 : (size_t)r, count, "pwrite64");
            return r;
        }
    }
    return real.pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    ensure_init();
    char path[PATH_MAX];
    if (!fd_counts(fd, path, sizeof path)) return real.writev(fd, iov, iovcnt);
    long nth;
    switch (count_call(OP_WRITE, "writev", path, &nth)) {
    case PASS: break;
    case FAIL: return inject(OP_WRITE, "writev", nth);
    case SHORT: {
        size_t total = 0;
        for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
        if (total < 2 || iovcnt <= 0) return inject(OP_WRITE, "writev", nth);
        /* The first total/2 bytes: whole iovecs, then part of one. */
        struct iovec *part = malloc((size_t)iovcnt * sizeof *part);
        if (!part) return inject(OP_WRITE, "writev", nth);
        size_t want = total / 2, have = 0;
        int cnt = 0;
        for (int i = 0; i < iovcnt && have < want; i++) {
            part[cnt] = iov[i];
            if (have + part[cnt].iov_len > want) part[cnt].iov_len = want - have;
            have += part[cnt].iov_len;
            cnt++;
        }
        ssize_t r = real.writev(fd, part, cnt);
        int saved = errno;
        free(part);
        log_short(nth, r < 0 ? 0 : (size_t)r, total, "writev");
        errno = saved;
        return r;
    }
    }
    return real.writev(fd, iov, iovcnt);
}

/* ------------------------------------------------------------------------ */
/* fdatasync, fsync, ftruncate, ftruncate64                                  */

int fdatasync(int fd) {
    ensure_init();
    char path[PATH_MAX];
    long nth;
    if (fd_counts(fd, path, sizeof path) && count_call(OP_FDATASYNC, "fdatasync", path, &nth) != PASS) {
        return inject(OP_FDATASYNC, "fdatasync", nth);
    }
    return real.fdatasync(fd);
}

int fsync(int fd) {
    ensure_init();
    char path[PATH_MAX];
    long nth;
    if (fd_counts(fd, path, sizeof path) && count_call(OP_FSYNC, "fsync", path, &nth) != PASS) {
        return inject(OP_FSYNC, "fsync", nth);
    }
    return real.fsync(fd);
}

int ftruncate(int fd, off_t length) {
    ensure_init();
    char path[PATH_MAX];
    long nth;
    if (fd_counts(fd, path, sizeof path) && count_call(OP_FTRUNCATE, "ftruncate", path, &nth) != PASS) {
        return inject(OP_FTRUNCATE, "ftruncate", nth);
    }
    return real.ftruncate(fd, length);
}

int ftruncate64(int fd, off64_t length) {
    ensure_init();
    char path[PATH_MAX];
    long nth;
    if (fd_counts(fd, path, sizeof path) && count_call(OP_FTRUNCATE, "ftruncate64", path, &nth) != PASS) {
        return inject(OP_FTRUNCATE, "ftruncate64", nth);
    }
    return real.ftruncate64(fd, length);
}

/* ------------------------------------------------------------------------ */
/* rename, renameat, renameat2                                               */

/* Counts a rename when either path is under the directory; 1 when it must fail (errno set). */
static int rename_fails(const char *symbol, int olddir, const char *oldpath, int newdir, const char *newpath) {
    if (!cfg.dir_set) return 0;
    char from[PATH_MAX], to[PATH_MAX];
    int a = path_counts(olddir, oldpath, from, sizeof from);
    int b = path_counts(newdir, newpath, to, sizeof to);
    if (!a && !b) return 0;
    if (!a) snprintf(from, sizeof from, "%s", oldpath ? oldpath : "(null)");
    if (!b) snprintf(to, sizeof to, "%s", newpath ? newpath : "(null)");
    char both[2 * PATH_MAX + 8];
    snprintf(both, sizeof both, "%s -> %s", from, to);
    long nth;
    if (count_call(OP_RENAME, symbol, both, &nth) == PASS) return 0;
    inject(OP_RENAME, symbol, nth);
    return 1;
}

int rename(const char *oldpath, const char *newpath) {
    ensure_init();
    if (rename_fails("rename", AT_FDCWD, oldpath, AT_FDCWD, newpath)) return -1;
    return real.rename(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    ensure_init();
    if (rename_fails("renameat", olddirfd, oldpath, newdirfd, newpath)) return -1;
    return real.renameat(olddirfd, oldpath, newdirfd, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    ensure_init();
    if (!real.renameat2) { errno = ENOSYS; return -1; }
    if (rename_fails("renameat2", olddirfd, oldpath, newdirfd, newpath)) return -1;
    return real.renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* ------------------------------------------------------------------------ */
/* open, open64, openat, openat64, creat, creat64, and the fortified entries */

/* Counts an open of `path` (relative to `dirfd`); 1 when it must fail (errno set). */
static int open_fails(const char *symbol, int dirfd, const char *path) {
    char resolved[PATH_MAX];
    if (!path_counts(dirfd, path, resolved, sizeof resolved)) return 0;
    long nth;
    if (count_call(OP_OPEN, symbol, resolved, &nth) == PASS) return 0;
    inject(OP_OPEN, symbol, nth);
    return 1;
}

/* Whether open's flags create a file, so that a mode argument follows them. */
static int takes_mode(int flags) {
#ifdef O_TMPFILE
    if ((flags & O_TMPFILE) == O_TMPFILE) return 1;
#endif
    return (flags & O_CREAT) != 0;
}

/* Declares `mode`: the optional third (fourth for openat) argument, or 0. */
#define OPEN_MODE(flags, last)                \
    mode_t mode = 0;                          \
    if (takes_mode(flags)) {                  \
        va_list ap;                           \
        va_start(ap, last);                   \
        mode = (mode_t)va_arg(ap, int);       \
        va_end(ap);                           \
    }

int open(const char *path, int flags, ...) {
    OPEN_MODE(flags, flags)
    ensure_init();
    if (open_fails("open", AT_FDCWD, path)) return -1;
    return real.open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    OPEN_MODE(flags, flags)
    ensure_init();
    if (open_fails("open64", AT_FDCWD, path)) return -1;
    return real.open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    OPEN_MODE(flags, flags)
    ensure_init();
    if (open_fails("openat", dirfd, path)) return -1;
    return real.openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    OPEN_MODE(flags, flags)
    ensure_init();
    if (open_fails("openat64", dirfd, path)) return -1;
    return real.openat64(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode) {
    ensure_init();
    if (open_fails("creat", AT_FDCWD, path)) return -1;
    return real.creat(path, mode);
}

int creat64(const char *path, mode_t mode) {
    ensure_init();
    if (open_fails("creat64", AT_FDCWD, path)) return -1;
    return real.creat64(path, mode);
}

/* What C code built with _FORTIFY_SOURCE calls instead of open/openat (without O_CREAT). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags) {
    ensure_init();
    if (open_fails("__open_2", AT_FDCWD, path)) return -1;
    return real.open(path, flags);
}

int __open64_2(const char *path, int flags) {
    ensure_init();
    if (open_fails("__open64_2", AT_FDCWD, path)) return -1;
    return real.open64(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags) {
    ensure_init();
    if (open_fails("__openat_2", dirfd, path)) return -1;
    return real.openat(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags) {
    ensure_init();
    if (open_fails("__openat64_2", dirfd, path)) return -1;
    return real.openat64(dirfd, path, flags);
}

/* ------------------------------------------------------------------------ */
/* unlink, unlinkat                                                          */

int unlink(const char *path) {
    ensure_init();
    char resolved[PATH_MAX];
    long nth;
    if (path_counts(AT_FDCWD, path, resolved, sizeof resolved) &&
        count_call(OP_UNLINK, "unlink", resolved, &nth) != PASS) {
        return inject(OP_UNLINK, "unlink", nth);
    }
    return real.unlink(path);
}

int unlinkat(int dirfd, const char *path, int flags) {
    ensure_init();
    char resolved[PATH_MAX];
    long nth;
    if (path_counts(dirfd, path, resolved, sizeof resolved) &&
        count_call(OP_UNLINK, "unlinkat", resolved, &nth) != PASS) {
        return inject(OP_UNLINK, "unlinkat", nth);
    }
    return real.unlinkat(dirfd, path, flags);
}
