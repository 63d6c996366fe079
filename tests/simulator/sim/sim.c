/*
 * The simulator's common machinery: reporting, call frames and the IRQL, held locks, guarded
 * blocks with their bookkeeping, simulated time, the registry and small string helpers.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "sim.h"

int sim_line_number;
char sim_line_text[512];

sim_frame *sim_current;
KIRQL sim_irql = PASSIVE_LEVEL;

ULONG64 sim_time_100ns = 10000000ULL; /* one second after boot */

UINT sim_ndis_version = 0x00060052; /* 6.82: Windows 10 22H2 */
ULONG sim_os_major = 10;
ULONG sim_os_minor = 0;
ULONG sim_os_build = 19045;
int sim_return_at_dispatch = 1;
int sim_return_sync;
size_t sim_data_limit = (size_t)-1;
int sim_extension_pattern;
int sim_history = 1;
char sim_service_path[256] = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\tap0901";

static int problems;

/* ---- Reporting ------------------------------------------------------------------------------- */

const char *sim_where(const void *site, char *buf, size_t cap)
{
    host_describe(site, buf, cap);
    return buf;
}

int sim_quiet;

size_t sim_concat(char *buf, size_t cap, ...)
{
    va_list ap;
    char *out = buf, *end = buf + cap - 1;
    va_start(ap, cap);
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
        while (*s != '\0' && out < end) {
            *out++ = *s++;
        }
    }
    va_end(ap);
    *out = '\0';
    return (size_t)(out - buf);
}

const char *sim_decimal(unsigned long n, char *buf)
{
    char digits[12];
    size_t k = 0, i = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (k > 0) {
        buf[i++] = digits[--k];
    }
    buf[i] = '\0';
    return buf;
}

void sim_event(const char *fmt, ...)
{
    va_list ap;
    if (sim_quiet) {
        return;
    }
    va_start(ap, fmt);
    host_vline(fmt, ap);
    va_end(ap);
}

static void context_lines(const void *site)
{
    char where[300];

    if (site != NULL) {
        host_line("  at %s", sim_where(site, where, sizeof(where)));
    }
    for (sim_frame *f = sim_current; f != NULL; f = f->prev) {
        host_line("  in %s (called at IRQL %u)", sim_frame_label(f, where, sizeof(where)),
                  (unsigned)f->irql);
    }
    if (sim_line_number > 0) {
        host_line("  script line %d: %s", sim_line_number, sim_line_text);
    }
}

static void vproblem(const void *site, const char *fmt, va_list ap)
{
    char text[1024];
    host_vformat(text, sizeof(text), fmt, ap);
    host_line("VIOLATION %s", text);
    context_lines(site);
    problems++;
}

void sim_problem(const void *site, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(site, fmt, ap);
    va_end(ap);
}

void sim_violation(const void *site, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(site, fmt, ap);
    va_end(ap);
    host_exit(SIM_EXIT_VIOLATION);
}

void sim_fail_pending(void)
{
    if (problems > 0) {
        host_exit(SIM_EXIT_VIOLATION);
    }
}

void sim_script_error(const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    host_vformat(text, sizeof(text), fmt, ap);
    va_end(ap);
    host_line("SCRIPT-ERROR line %d: %s (%s)", sim_line_number, text, sim_line_text);
    host_exit(SIM_EXIT_SCRIPT);
}

/* ---- Frames, IRQL and locks ------------------------------------------------------------------ */

typedef struct held_lock {
    const void *lock;
    sim_lock_kind kind;
    const void *site;
} held_lock;

static held_lock held[64];
static size_t held_count;

void sim_set_irql(KIRQL irql)
{
    sim_irql = irql;
}

const char *sim_frame_label(const sim_frame *frame, char *buf, size_t cap)
{
    if (frame->irp == NULL) {
        return frame->name;
    }
    sim_concat(buf, cap, frame->name, " (IRP ", frame->irp, ")", (char *)NULL);
    return buf;
}

void sim_enter(sim_frame *frame, const char *name, KIRQL irql)
{
    frame->name = name;
    frame->irp = NULL;
    frame->routine = NULL;
    frame->irql = irql;
    frame->locks = held_count;
    frame->prev = sim_current;
    sim_current = frame;
    sim_irql = irql;
}

void sim_leave(sim_frame *frame)
{
    char where[300], label[128];

    if (held_count > frame->locks) {
        for (size_t i = frame->locks; i < held_count; i++) {
            sim_problem(frame->routine, "%s returned holding a %s (lock %p acquired at %s)",
                        sim_frame_label(frame, label, sizeof(label)),
                        sim_lock_kind_name(held[i].kind), held[i].lock,
                        sim_where(held[i].site, where, sizeof(where)));
        }
        sim_fail_pending();
    }
    if (sim_irql != frame->irql) {
        sim_violation(frame->routine, "%s returned at IRQL %u; it was called at IRQL %u",
                      sim_frame_label(frame, label, sizeof(label)), (unsigned)sim_irql,
                      (unsigned)frame->irql);
    }
    sim_current = frame->prev;
    sim_irql = sim_current ? sim_current->irql : PASSIVE_LEVEL;
}

void sim_irql_at_most(const void *site, const char *fn, KIRQL max)
{
    if (sim_irql > max) {
        sim_violation(site, "%s called at IRQL %u; allowed at most %u", fn, (unsigned)sim_irql,
                      (unsigned)max);
    }
}

void sim_irql_between(const void *site, const char *fn, KIRQL min, KIRQL max)
{
    if (sim_irql < min || sim_irql > max) {
        sim_violation(site, "%s called at IRQL %u; allowed %u..%u", fn, (unsigned)sim_irql,
                      (unsigned)min, (unsigned)max);
    }
}

const char *sim_lock_kind_name(sim_lock_kind kind)
{
    switch (kind) {
    case SIM_LOCK_SPIN:
        return "spin lock";
    case SIM_LOCK_CANCEL:
        return "cancel spin lock";
    case SIM_LOCK_RW_READ:
        return "read/write lock (read)";
    case SIM_LOCK_RW_WRITE:
        return "read/write lock (write)";
    }
    return "lock";
}

void sim_lock_acquired(const void *lock, sim_lock_kind kind, const void *site)
{
    char where[300];

    for (size_t i = 0; i < held_count; i++) {
        if (held[i].lock != lock) {
            continue;
        }
        if (kind == SIM_LOCK_RW_READ && held[i].kind == SIM_LOCK_RW_READ) {
            continue; /* shared */
        }
        sim_violation(site, "deadlock: %s %p acquired again; it is held since %s",
                      sim_lock_kind_name(kind), lock,
                      sim_where(held[i].site, where, sizeof(where)));
    }
    if (held_count == sizeof(held) / sizeof(held[0])) {
        sim_violation(site, "more than %zu locks held at once", held_count);
    }
    held[held_count].lock = lock;
    held[held_count].kind = kind;
    held[held_count].site = site;
    held_count++;
}

void sim_lock_released(const void *lock, sim_lock_kind kind, const void *site)
{
    for (size_t i = held_count; i-- > 0;) {
        if (held[i].lock == lock && (held[i].kind == kind || (kind == SIM_LOCK_RW_READ &&
                                                              held[i].kind == SIM_LOCK_RW_WRITE))) {
            if (i + 1 < held_count) { /* not the newest */
                memmove(&held[i], &held[i + 1], (held_count - i - 1) * sizeof(held[0]));
            }
            held_count--;
            return;
        }
    }
    sim_violation(site, "%s %p released but not held", sim_lock_kind_name(kind), lock);
}

int sim_lock_held(const void *lock)
{
    for (size_t i = 0; i < held_count; i++) {
        if (held[i].lock == lock) {
            return 1;
        }
    }
    return 0;
}

size_t sim_locks_held(void)
{
    return held_count;
}

/* The exception handler's view of CR8. */
unsigned sim_cr8_read(void)
{
    return sim_irql;
}

void sim_cr8_write(unsigned value, const void *ip)
{
    if (value > HIGH_LEVEL) {
        sim_violation(ip, "IRQL set to %u", value);
    }
    sim_irql = (KIRQL)value;
}

/* ---- Guarded blocks -------------------------------------------------------------------------- */

#define HEAD_PATTERN  0xA7 /* slack in front of a block */
#define FRESH_PATTERN 0xC5 /* contents of a new, not zeroed block */
#define TAIL_PATTERN  0xB9 /* rounding between a block's end and its guard page */

/* Every block, in address order, its start beside it: the lookups by address read one
 * array. */
typedef struct block_slot {
    const unsigned char *base;
    sim_block *block;
} block_slot;

static block_slot *blocks;
static size_t block_count, block_cap;

const char *sim_kind_name(sim_kind kind)
{
    static const char *const names[] = {"memory",
                                        "NET_BUFFER_LIST pool",
                                        "NET_BUFFER_LIST",
                                        "NET_BUFFER_LIST context",
                                        "MDL",
                                        "read/write lock",
                                        "configuration",
                                        "device object",
                                        "registry key",
                                        "work item",
                                        "timer",
                                        "object"};
    return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "resource";
}

const char *sim_tag_text(ULONG tag, char buf[8])
{
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(tag >> (8 * i));
        buf[i] = c >= 0x20 && c < 0x7F ? (char)c : '.';
    }
    buf[4] = '\0';
    return buf;
}

static size_t first_after(const void *addr);

/*
 * set history off: freed heap blocks (set guard off), by size, for the next block of that
 * size. A reused block keeps its place in the address-ordered table, so the table holds at
 * most the most blocks ever live at once.
 */
typedef struct free_blocks {
    size_t span;
    sim_block *head;
} free_blocks;

#define FREE_LISTS 64

static free_blocks free_lists[FREE_LISTS];

/* Open addressing by size; NULL when the size has no list (add: and no room for one). */
static free_blocks *free_list_for(size_t span, int add)
{
    for (size_t i = 0, k = span >> 4; i < FREE_LISTS; i++, k++) {
        free_blocks *list = &free_lists[k % FREE_LISTS];
        if (list->span == span) {
            return list;
        }
        if (list->span == 0) {
            if (!add) {
                return NULL;
            }
            list->span = span;
            return list;
        }
    }
    return NULL; /* more sizes than lists: the block stays unused, as with history on */
}

/* A freed heap block of the size (rounded as host_guarded_alloc rounds), or NULL. */
static sim_block *reuse(size_t size)
{
    free_blocks *list = free_list_for(((size + 15) & ~(size_t)15) | 1, 0);
    sim_block *b = list != NULL ? list->head : NULL;
    if (b != NULL) {
        list->head = b->next_free;
        b->next_free = NULL;
    }
    return b;
}

static void fill(sim_block *b, int zero)
{
    size_t slack = (size_t)((unsigned char *)b->ptr - (unsigned char *)b->base);
    if (slack != 0) {
        memset(b->base, HEAD_PATTERN, slack);
    }
    if (zero != SIM_FILL_NONE) {
        memset(b->ptr, zero == SIM_FILL_ZERO ? 0 : FRESH_PATTERN, b->size);
    }
    memset((unsigned char *)b->ptr + b->size, TAIL_PATTERN,
           ((b->size + 15) & ~(size_t)15) - b->size);
}

static void set_what(sim_block *b, const char *what)
{
    sim_concat(b->what, sizeof(b->what), what ? what : sim_kind_name(b->kind), (char *)NULL);
}

sim_block *sim_alloc(sim_kind kind, size_t size, ULONG tag, sim_owner owner, const void *site,
                     int zero, const char *what)
{
    sim_block *b = sim_history ? NULL : reuse(size);
    int reused = b != NULL;
    if (!reused) {
        b = host_malloc(sizeof(*b));
    }
    b->kind = kind;
    b->live = 1;
    b->size = size;
    b->tag = tag;
    b->owner = owner;
    b->alloc_site = site;
    b->alloc_line = sim_line_number;
    b->free_site = NULL;
    b->free_line = 0;
    b->extra = NULL;
    set_what(b, what);
    if (reused) {
        fill(b, zero);
        return b;
    }
    b->ptr = host_guarded_alloc(size, &b->base, &b->span);
    fill(b, zero);
    if (block_count == block_cap) {
        block_cap = block_cap ? block_cap * 2 : 1024;
        blocks = host_realloc(blocks, block_cap * sizeof(*blocks));
    }
    /* Kept in address order (sim_block_holding searches it): a new block lies above the
     * others, unless the arena went on in a new region below them (i386: sim/host.c) or
     * came from the heap (set guard off). */
    size_t at = first_after(b->base);
    memmove(&blocks[at + 1], &blocks[at], (block_count - at) * sizeof(*blocks));
    blocks[at].base = b->base;
    blocks[at].block = b;
    block_count++;
    return b;
}

static size_t first_after(const void *addr)
{
    size_t lo = 0, hi = block_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (blocks[mid].base <= (const unsigned char *)addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The blocks found last: a data path asks about the same few (its locks, the request's
 * buffers) again and again. An answer stays right: regions never overlap, and a record keeps
 * its region for good (reused, with set history off, for a block in the same place). */
static sim_block *recent[4];

sim_block *sim_block_holding(const void *addr)
{
    const unsigned char *a = addr;
    for (size_t k = 0; k < sizeof(recent) / sizeof(recent[0]); k++) {
        sim_block *r = recent[k];
        if (r != NULL && a >= (const unsigned char *)r->base &&
            a < (const unsigned char *)r->base + r->span) {
            return r;
        }
    }
    size_t i = first_after(addr);
    if (i == 0) {
        return NULL;
    }
    sim_block *b = blocks[i - 1].block;
    if (a < (const unsigned char *)b->base + b->span) {
        memmove(&recent[1], &recent[0], sizeof(recent) - sizeof(recent[0]));
        recent[0] = b;
        return b;
    }
    return NULL;
}

sim_block *sim_block_at(const void *ptr)
{
    sim_block *b = sim_block_holding(ptr);
    return b != NULL && b->ptr == ptr ? b : NULL;
}

sim_block *sim_live_range(const void *p, size_t len)
{
    sim_block *b = sim_block_holding(p);
    if (b == NULL || !b->live) {
        return NULL;
    }
    const unsigned char *start = b->ptr, *q = p;
    if (q < start || len > b->size || (size_t)(q - start) > b->size - len) {
        return NULL;
    }
    return b;
}

void sim_release(sim_block *b, const void *site)
{
    char where[300];
    const unsigned char *head = b->base;
    size_t slack = (size_t)((unsigned char *)b->ptr - head);

    for (size_t i = 0; i < slack; i++) {
        if (head[i] != HEAD_PATTERN) {
            sim_problem(site,
                        "%s %p (%zu bytes, allocated at %s) was written %zu bytes before "
                        "its start",
                        b->what, b->ptr, b->size, sim_where(b->alloc_site, where, sizeof(where)),
                        slack - i);
            sim_fail_pending();
        }
    }
    /* The rounding between the end and the guard page. */
    const unsigned char *tail = (const unsigned char *)b->ptr + b->size;
    size_t extra = ((b->size + 15) & ~(size_t)15) - b->size;
    for (size_t i = 0; i < extra; i++) {
        if (tail[i] != TAIL_PATTERN) {
            sim_problem(site,
                        "%s %p (%zu bytes, allocated at %s) was written %zu bytes past "
                        "its end",
                        b->what, b->ptr, b->size, sim_where(b->alloc_site, where, sizeof(where)),
                        i + 1);
            sim_fail_pending();
        }
    }
    b->live = 0;
    b->free_site = site;
    b->free_line = sim_line_number;
    host_guarded_decommit(b->base, b->span);
    free_blocks *list = !sim_history && (b->span & 1) ? free_list_for(b->span, 1) : NULL;
    if (list != NULL) {
        b->next_free = list->head;
        list->head = b;
    }
}

static size_t report_leaks(int kind, sim_owner owner, const char *when)
{
    char where[300], tag[8];
    size_t n = 0;

    for (size_t i = 0; i < block_count; i++) {
        sim_block *b = blocks[i].block;
        if (!b->live || b->kind == SIM_OBJECT || b->owner != owner ||
            (kind >= 0 && b->kind != (sim_kind)kind)) {
            continue;
        }
        sim_problem(NULL,
                    "%s: %s leaked: %s %p, %zu bytes, tag '%s', allocated at %s (script "
                    "line %d)",
                    when, sim_kind_name(b->kind), b->what, b->ptr, b->size,
                    sim_tag_text(b->tag, tag), sim_where(b->alloc_site, where, sizeof(where)),
                    b->alloc_line);
        n++;
    }
    return n;
}

size_t sim_report_leaks(sim_owner owner, const char *when)
{
    return report_leaks(-1, owner, when);
}

size_t sim_report_leaks_of(sim_kind kind, sim_owner owner, const char *when)
{
    return report_leaks((int)kind, owner, when);
}

size_t sim_count_live(sim_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < block_count; i++) {
        n += blocks[i].block->live && blocks[i].block->kind == kind;
    }
    return n;
}

/* An access fault: explain it by the block it hit. */
void sim_fault(const void *ip, const void *addr, int write, unsigned long code)
{
    char alloc[300], freed[300];
    sim_block *b = addr ? sim_block_holding(addr) : NULL;
    const char *access = write == 1 ? "write" : write == 0 ? "read" : "execute";

    if (write < 0 && addr == NULL) {
        host_line("VIOLATION exception 0x%08lX in the driver", code);
        context_lines(ip);
        host_exit(SIM_EXIT_VIOLATION);
    }
    if (b == NULL) {
        host_line("VIOLATION access violation: %s of %p", access, addr);
    } else if (!b->live) {
        host_line("VIOLATION use after free: %s of %p, offset %lld in %s (%zu bytes) allocated "
                  "at %s (script line %d), freed at %s (script line %d)",
                  access, addr, (long long)((const char *)addr - (const char *)b->ptr), b->what,
                  b->size, sim_where(b->alloc_site, alloc, sizeof(alloc)), b->alloc_line,
                  sim_where(b->free_site, freed, sizeof(freed)), b->free_line);
    } else if ((const unsigned char *)addr >= (const unsigned char *)b->ptr + b->size) {
        host_line("VIOLATION buffer overrun: %s of %p, %lld bytes past the end of %s (%zu bytes) "
                  "allocated at %s",
                  access, addr,
                  (long long)((const char *)addr - (const char *)b->ptr - (long long)b->size),
                  b->what, b->size, sim_where(b->alloc_site, alloc, sizeof(alloc)));
    } else {
        host_line("VIOLATION access violation: %s of %p in %s", access, addr, b->what);
    }
    context_lines(ip);
    host_exit(SIM_EXIT_VIOLATION);
}

/* ---- Injected failures ------------------------------------------------------------------------
 */

static unsigned long failable_calls, fail_at;

/* Low resources, on request: the failable call fail_at fails (allocations, mappings,
 * registrations; each returns what its reference says it returns on failure). */
int sim_inject_failure(const char *fn)
{
    failable_calls++;
    if (fail_at == 0 || failable_calls != fail_at) {
        return 0;
    }
    sim_event("inject failure %s call=%lu", fn, failable_calls);
    return 1;
}

void sim_fail_nth(unsigned long n)
{
    fail_at = n ? failable_calls + n : 0;
}

unsigned long sim_failable_calls(void)
{
    return failable_calls;
}

/* ---- Time and deferred work ------------------------------------------------------------------ */

unsigned long long sim_now_100ns(void)
{
    return sim_time_100ns;
}

void sim_advance(ULONG64 delta_100ns)
{
    sim_time_100ns += delta_100ns;
}

int sim_run_deferred(void)
{
    int n = sim_ndis_deferred();
    n += sim_io_deferred();
    return n;
}

/* ---- Registry ----------------------------------------------------------------------------------
 */

static sim_value *stores[3];

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (char)(*a >= 'A' && *a <= 'Z' ? *a + 32 : *a);
        char y = (char)(*b >= 'A' && *b <= 'Z' ? *b + 32 : *b);
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

void sim_reg_delete(sim_store store, const char *name)
{
    for (sim_value **p = &stores[store]; *p; p = &(*p)->next) {
        if (ascii_ieq((*p)->name, name)) {
            sim_value *v = *p;
            *p = v->next;
            host_free(v->data);
            host_free(v);
            return;
        }
    }
}

void sim_reg_set(sim_store store, const char *name, ULONG type, const void *data, size_t len)
{
    sim_reg_delete(store, name);
    sim_value *v = host_malloc(sizeof(*v));
    host_format(v->name, sizeof(v->name), "%s", name);
    v->type = type;
    v->data = host_malloc(len);
    memcpy(v->data, data, len);
    v->len = len;
    v->next = stores[store];
    stores[store] = v;
}

const sim_value *sim_reg_find_ascii(sim_store store, const char *name)
{
    for (sim_value *v = stores[store]; v; v = v->next) {
        if (ascii_ieq(v->name, name)) {
            return v;
        }
    }
    return NULL;
}

const sim_value *sim_reg_find(sim_store store, const WCHAR *name, size_t chars)
{
    char ascii[64];
    if (chars >= sizeof(ascii)) {
        return NULL;
    }
    for (size_t i = 0; i < chars; i++) {
        if (name[i] == 0 || name[i] >= 0x80) {
            return NULL;
        }
        ascii[i] = (char)name[i];
    }
    ascii[chars] = '\0';
    return sim_reg_find_ascii(store, ascii);
}

/* ---- Strings ------------------------------------------------------------------------------------
 */

void sim_unicode_to_ascii(const UNICODE_STRING *u, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < u->Length / sizeof(WCHAR) && n + 1 < cap; i++) {
        WCHAR c = u->Buffer[i];
        out[n++] = c < 0x80 ? (char)c : '?';
    }
    out[n] = '\0';
}

int sim_unicode_equals(const UNICODE_STRING *u, const char *ascii)
{
    size_t len = strlen(ascii);
    if (u->Length != len * sizeof(WCHAR)) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        WCHAR a = u->Buffer[i], b = (WCHAR)(unsigned char)ascii[i];
        if (a >= 'a' && a <= 'z') {
            a = (WCHAR)(a - 32);
        }
        if (b >= 'a' && b <= 'z') {
            b = (WCHAR)(b - 32);
        }
        if (a != b) {
            return 0;
        }
    }
    return 1;
}

void sim_hex(const void *data, size_t len, char *out, size_t cap)
{
    if (len > sim_data_limit) {
        len = sim_data_limit;
    }
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        out[n++] = digits[p[i] >> 4];
        out[n++] = digits[p[i] & 15];
    }
    out[n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

long sim_parse_hex(const char *text, unsigned char *out, size_t cap)
{
    size_t n = 0;
    while (*text) {
        if (*text == ' ' || *text == ':' || *text == '-' || *text == '.') {
            text++;
            continue;
        }
        int hi = hex_digit(text[0]);
        int lo = hi < 0 ? -1 : hex_digit(text[1]);
        if (hi < 0 || lo < 0 || n == cap) {
            return -1;
        }
        out[n++] = (unsigned char)(hi << 4 | lo);
        text += 2;
    }
    return (long)n;
}
