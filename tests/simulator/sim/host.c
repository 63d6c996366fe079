/*
 * The driver simulator's host services on Windows (run under wine64): output, the script,
 * memory with guard pages, symbols for call sites (dbghelp reads the program's PDB), and the
 * vectored exception handler that emulates CR8 (the IRQL) and reports access faults.
 *
 * SPDX-License-Identifier: MIT
 */
#include <windows.h>
#include <dbghelp.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Address space for guarded blocks, never reused: reserved a region at a time (i386: a 32-bit
 * process has 2 GiB in pieces, so smaller regions, another when one is used up). */
#if defined(_WIN64)
#define ARENA_SIZE ((size_t)64 << 30)
#else
#define ARENA_SIZE ((size_t)64 << 20)
#endif
#define PAGE ((size_t)4096)

static FILE *script;
static unsigned char *arena;
static size_t arena_used;
static int symbols_ready;

/* ---- The exception handler ------------------------------------------------------------ */

#if defined(_WIN64)
/* The general-purpose register a ModRM r/m field (with REX.B) names, in CONTEXT order. */
static DWORD64 *context_register(CONTEXT *ctx, unsigned index)
{
    DWORD64 *regs[16] = {&ctx->Rax, &ctx->Rcx, &ctx->Rdx, &ctx->Rbx, &ctx->Rsp, &ctx->Rbp,
                         &ctx->Rsi, &ctx->Rdi, &ctx->R8,  &ctx->R9,  &ctx->R10, &ctx->R11,
                         &ctx->R12, &ctx->R13, &ctx->R14, &ctx->R15};
    return regs[index & 15];
}

/* mov r64, cr8 (REX 0F 20 /r with REX.R: cr8) and mov cr8, r64 (REX 0F 22 /r): the only
 * privileged instructions kernel code compiled for amd64 uses for the IRQL. */
static int emulate_cr8(CONTEXT *ctx)
{
    const unsigned char *ip = (const unsigned char *)ctx->Rip;
    unsigned rex = 0, at = 0;

    if ((ip[0] & 0xF0) == 0x40) {
        rex = ip[0];
        at = 1;
    }
    if (ip[at] != 0x0F || (ip[at + 1] != 0x20 && ip[at + 1] != 0x22)) {
        return 0;
    }
    unsigned modrm = ip[at + 2];
    unsigned cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
    unsigned reg = (modrm & 7) | ((rex & 1) ? 8 : 0);
    if ((modrm & 0xC0) != 0xC0 || cr != 8) {
        return 0;
    }
    if (ip[at + 1] == 0x20) {
        *context_register(ctx, reg) = sim_cr8_read();
    } else {
        sim_cr8_write((unsigned)(*context_register(ctx, reg) & 15), ip);
    }
    ctx->Rip += at + 3;
    return 1;
}

/*
 * KUSER_SHARED_DATA, which amd64 kernel code reads at 0xFFFFF78000000000 for the time
 * (KeQuerySystemTime, KeQueryInterruptTime and KeQueryTickCount are macros there): a load
 * from that page faults in user mode and is emulated from the simulated clock. Handled:
 * mov r32/r64, [mem] (8B /r, any addressing) and mov rax/eax, [moffs64] (A1).
 */
#define SHARED_DATA ((ULONG_PTR)0xFFFFF78000000000ULL)

static unsigned long long shared_value(ULONG_PTR offset)
{
    unsigned long long t = sim_now_100ns();
    switch (offset) {
    case 0x8: /* InterruptTime */
        return t;
    case 0x14: /* SystemTime: a fixed date plus the time since boot */
        return 133800000000000000ULL + t;
    case 0x320: /* TickCount (TickCountMultiplier 0x4 below: 15.625 ms ticks) */
        return t / 156250;
    case 0x4:
        return 0x0FA00000; /* TickCountMultiplier */
    default:
        return 0;
    }
}

static int emulate_shared_read(CONTEXT *ctx, ULONG_PTR addr)
{
    const unsigned char *ip = (const unsigned char *)ctx->Rip;
    unsigned rex = 0, at = 0, len;
    unsigned long long value;

    if (addr < SHARED_DATA || addr >= SHARED_DATA + 0x1000) {
        return 0;
    }
    value = shared_value(addr - SHARED_DATA);
    if ((ip[0] & 0xF0) == 0x40) {
        rex = ip[0];
        at = 1;
    }
    if (ip[at] == 0xA1) { /* mov rax/eax, moffs64 */
        ctx->Rax = (rex & 8) ? value : (unsigned long long)(unsigned)value;
        ctx->Rip += at + 1 + 8;
        return 1;
    }
    if (ip[at] != 0x8B) {
        return 0;
    }
    unsigned modrm = ip[at + 1], mod = modrm >> 6, rm = modrm & 7;
    unsigned reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
    if (mod == 3) {
        return 0;
    }
    len = at + 2;
    if (rm == 4) { /* SIB */
        unsigned base = ip[len] & 7;
        len++;
        if (mod == 0 && base == 5) {
            len += 4;
        }
    } else if (mod == 0 && rm == 5) {
        len += 4; /* RIP-relative */
    }
    len += mod == 1 ? 1 : mod == 2 ? 4 : 0;
    *context_register(ctx, reg) = (rex & 8) ? value : (unsigned long long)(unsigned)value;
    ctx->Rip += len;
    return 1;
}

#else
/* i386 kernel code reads the IRQL and the time through hal.dll and ntoskrnl functions (the
 * simulation's), never through CR8 or KUSER_SHARED_DATA: nothing to emulate. */
static int emulate_cr8(CONTEXT *ctx)
{
    (void)ctx;
    return 0;
}

static int emulate_shared_read(CONTEXT *ctx, ULONG_PTR addr)
{
    (void)ctx;
    (void)addr;
    return 0;
}
#endif

/* Our image (the driver and the simulation): exceptions elsewhere (wine, dbghelp) are theirs
 * to handle. */
static int in_image(const void *ip)
{
    static const unsigned char *base;
    static size_t size;
    if (base == NULL) {
        base = (const unsigned char *)GetModuleHandleA(NULL);
        const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
        const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
        size = nt->OptionalHeader.SizeOfImage;
    }
    return (const unsigned char *)ip >= base && (const unsigned char *)ip < base + size;
}

static LONG CALLBACK exception_handler(EXCEPTION_POINTERS *info)
{
    EXCEPTION_RECORD *rec = info->ExceptionRecord;

    if (!in_image(rec->ExceptionAddress)) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    switch (rec->ExceptionCode) {
    case EXCEPTION_PRIV_INSTRUCTION:
        if (emulate_cr8(info->ContextRecord)) {
            return EXCEPTION_CONTINUE_EXECUTION;
        }
        break;
    case EXCEPTION_ACCESS_VIOLATION:
        if (rec->ExceptionInformation[0] == 0 &&
            emulate_shared_read(info->ContextRecord, rec->ExceptionInformation[1])) {
            return EXCEPTION_CONTINUE_EXECUTION;
        }
        sim_fault(rec->ExceptionAddress, (const void *)rec->ExceptionInformation[1],
                  rec->ExceptionInformation[0] == 1, rec->ExceptionCode);
    case EXCEPTION_IN_PAGE_ERROR:
        sim_fault(rec->ExceptionAddress, (const void *)rec->ExceptionInformation[1],
                  rec->ExceptionInformation[0] == 1, rec->ExceptionCode);
    case 0x406D1388: /* thread naming by debuggers */
    case DBG_PRINTEXCEPTION_C:
    case DBG_PRINTEXCEPTION_WIDE_C:
        return EXCEPTION_CONTINUE_SEARCH;
    default:
        break;
    }
    sim_fault(rec->ExceptionAddress, NULL, -1, rec->ExceptionCode);
}

/* ---- Setup, output, script ---------------------------------------------------------------- */

void host_init(void)
{
    _setmode(_fileno(stdout), _O_BINARY);
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    AddVectoredExceptionHandler(1, exception_handler);
    SymSetOptions(SYMOPT_LOAD_LINES | SYMOPT_DEFERRED_LOADS | SYMOPT_UNDNAME);
    symbols_ready = SymInitialize(GetCurrentProcess(), NULL, TRUE) != FALSE;
    arena = VirtualAlloc(NULL, ARENA_SIZE, MEM_RESERVE, PAGE_NOACCESS);
    if (arena == NULL) {
        fprintf(stdout, "host: cannot reserve %zu bytes of address space\n", ARENA_SIZE);
        host_exit(70);
    }
}

void host_vline(const char *fmt, va_list ap)
{
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
}

void host_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    host_vline(fmt, ap);
    va_end(ap);
}

size_t host_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t host_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = host_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

/* UTF-16 to ASCII for log text (non-ASCII becomes '?'). */
static size_t put_wide(char *out, size_t cap, const unsigned short *s, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count && s[i] != 0 && n + 1 < cap; i++) {
        out[n++] = s[i] < 0x80 ? (char)s[i] : '?';
    }
    out[n] = '\0';
    return n;
}

size_t host_kformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    size_t n = 0;
    va_list args;

    va_copy(args, ap);
    buf[0] = '\0';
    while (*fmt != '\0' && n + 1 < cap) {
        if (*fmt != '%') {
            buf[n++] = *fmt++;
            buf[n] = '\0';
            continue;
        }
        /* One conversion: flags, width, precision, length, type. */
        char spec[32];
        size_t s = 0;
        const char *start = fmt++;
        while (*fmt != '\0' && strchr("-+ #0123456789.*", *fmt) != NULL && s < 16) {
            fmt++, s++;
        }
        int wide = 0, longlong = 0, lng = 0, size_t_arg = 0;
        for (;;) {
            if (*fmt == 'w') {
                wide = 1, fmt++;
            } else if (*fmt == 'l' && fmt[1] == 'l') {
                longlong = 1, fmt += 2;
            } else if (*fmt == 'I' && fmt[1] == '6' && fmt[2] == '4') {
                longlong = 1, fmt += 3;
            } else if (*fmt == 'l') {
                lng = 1, fmt++;
            } else if (*fmt == 'h') {
                fmt++;
            } else if (*fmt == 'z' || *fmt == 'I') {
                size_t_arg = 1, fmt++;
            } else {
                break;
            }
        }
        char type = *fmt != '\0' ? *fmt++ : '%';
        size_t flags_len = (size_t)(fmt - start);
        if (flags_len >= sizeof(spec)) {
            break;
        }
        switch (type) {
        case '%':
            buf[n++] = '%';
            buf[n] = '\0';
            break;
        case 'Z': {
            const void *str = va_arg(args, const void *);
            if (str == NULL) {
                n += host_format(buf + n, cap - n, "(null)");
            } else if (wide) {
                const struct {
                    unsigned short Length, MaximumLength;
                    const unsigned short *Buffer;
                } *u = str;
                n += put_wide(buf + n, cap - n, u->Buffer, u->Length / 2u);
            } else {
                const struct {
                    unsigned short Length, MaximumLength;
                    const char *Buffer;
                } *a = str;
                n += host_format(buf + n, cap - n, "%.*s", (int)a->Length, a->Buffer);
            }
            break;
        }
        case 's':
        case 'S':
            if (wide || type == 'S') {
                const unsigned short *w = va_arg(args, const unsigned short *);
                n += w ? put_wide(buf + n, cap - n, w, (size_t)-1)
                       : host_format(buf + n, cap - n, "(null)");
                break;
            }
            memcpy(spec, start, flags_len);
            spec[flags_len] = '\0';
            n += host_format(buf + n, cap - n, spec, va_arg(args, const char *));
            break;
        case 'c':
            buf[n++] = (char)va_arg(args, int);
            buf[n] = '\0';
            break;
        case 'p':
            n += host_format(buf + n, cap - n, "%p", va_arg(args, void *));
            break;
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            /* Rebuild the conversion with C99 length modifiers. */
            size_t k = 0;
            spec[k++] = '%';
            for (const char *f = start + 1; f < fmt - 1 && k < 20; f++) {
                if (strchr("-+ #0123456789.", *f) != NULL) {
                    spec[k++] = *f;
                }
            }
            if (longlong || size_t_arg) {
                spec[k++] = 'l';
                spec[k++] = 'l';
                spec[k++] = type;
                spec[k] = '\0';
                n += host_format(buf + n, cap - n, spec,
                                 longlong ? va_arg(args, long long)
                                          : (long long)va_arg(args, size_t));
            } else {
                (void)lng; /* long is 32 bits on Windows */
                spec[k++] = type;
                spec[k] = '\0';
                n += host_format(buf + n, cap - n, spec, va_arg(args, int));
            }
            break;
        }
        default:
            n += host_format(buf + n, cap - n, "%%%c", type);
            break;
        }
    }
    va_end(args);
    return n;
}

void host_flush(void)
{
    fflush(stdout);
}

void host_exit(int code)
{
    fflush(stdout);
    fflush(stderr);
    ExitProcess((UINT)code);
}

/* dbghelp's inline-frame functions (Windows 8's dbghelp and wine's), looked up at run time:
 * mingw-w64's dbghelp.h does not declare them. */
typedef DWORD(WINAPI *inline_count_fn)(HANDLE, DWORD64);
typedef BOOL(WINAPI *inline_query_fn)(HANDLE, DWORD64, DWORD, DWORD64, DWORD64, LPDWORD, LPDWORD);
typedef BOOL(WINAPI *inline_symbol_fn)(HANDLE, DWORD64, ULONG, PDWORD64, PSYMBOL_INFO);
typedef BOOL(WINAPI *inline_line_fn)(HANDLE, DWORD64, ULONG, DWORD64, PDWORD, PIMAGEHLP_LINE64);

static struct {
    int looked_up;
    inline_count_fn count;
    inline_query_fn query;
    inline_symbol_fn symbol;
    inline_line_fn line;
} inl;

static void inline_lookup(void)
{
    HMODULE dbghelp = GetModuleHandleA("dbghelp.dll");
    if (inl.looked_up || dbghelp == NULL) {
        return;
    }
    inl.looked_up = 1;
    inl.count = (inline_count_fn)(void *)GetProcAddress(dbghelp, "SymAddrIncludeInlineTrace");
    inl.query = (inline_query_fn)(void *)GetProcAddress(dbghelp, "SymQueryInlineTrace");
    inl.symbol = (inline_symbol_fn)(void *)GetProcAddress(dbghelp, "SymFromInlineContext");
    inl.line = (inline_line_fn)(void *)GetProcAddress(dbghelp, "SymGetLineFromInlineContext");
}

/* Paths as the tree names them: from driver/ or tests/ on, with forward slashes. */
static const char *tree_path(char *file)
{
    const char *rel = NULL;
    for (char *p = file; *p; p++) {
        if (*p == '\\') {
            *p = '/';
        }
    }
    rel = strstr(file, "driver/");
    rel = rel ? rel : strstr(file, "tests/");
    return rel ? rel : file;
}

/* "Name+0xN (file:line)" of one frame (ctx: an inline context, or -1 for the function). */
static size_t describe_frame(DWORD64 addr, long ctx, char *buf, size_t cap)
{
    HANDLE process = GetCurrentProcess();
    union {
        SYMBOL_INFO info;
        char space[sizeof(SYMBOL_INFO) + 256];
    } sym;
    DWORD64 displacement = 0;
    DWORD line_displacement = 0;
    IMAGEHLP_LINE64 line;
    BOOL ok;
    size_t n;

    memset(&sym, 0, sizeof(sym));
    sym.info.SizeOfStruct = sizeof(SYMBOL_INFO);
    sym.info.MaxNameLen = 255;
    memset(&line, 0, sizeof(line));
    line.SizeOfStruct = sizeof(line);
    ok = ctx >= 0 ? inl.symbol(process, addr, (ULONG)ctx, &displacement, &sym.info)
                  : SymFromAddr(process, addr, &displacement, &sym.info);
    if (!ok) {
        return host_format(buf, cap, "%p", (void *)(ULONG_PTR)addr);
    }
    n = ctx >= 0
            ? host_format(buf, cap, "%s", sym.info.Name)
            : host_format(buf, cap, "%s+0x%llx", sym.info.Name, (unsigned long long)displacement);
    ok = ctx >= 0 ? inl.line(process, addr, (ULONG)ctx, 0, &line_displacement, &line)
                  : SymGetLineFromAddr64(process, addr, &line_displacement, &line);
    if (ok && line.FileName != NULL) {
        n += host_format(buf + n, cap - n, " (%s:%lu)", tree_path(line.FileName), line.LineNumber);
    }
    return n;
}

void host_describe(const void *addr, char *buf, size_t cap)
{
    DWORD64 a = (DWORD64)(ULONG_PTR)addr;
    DWORD ctx = 0, frame = 0;
    size_t n = 0;

    if (addr == NULL) {
        host_format(buf, cap, "(the simulated system)");
        return;
    }
    if (!symbols_ready) {
        host_format(buf, cap, "%p", addr);
        return;
    }
    inline_lookup();
    /* Optimized code: the innermost inlined function first, then where it was inlined. */
    DWORD inlined =
        inl.count && inl.query && inl.symbol && inl.line ? inl.count(GetCurrentProcess(), a) : 0;
    if (inlined > 0 && inl.query(GetCurrentProcess(), a, 0, a, a, &ctx, &frame)) {
        for (DWORD i = 0; i < inlined && n + 16 < cap; i++) {
            n += describe_frame(a, (long)(ctx + i), buf + n, cap - n);
            n += host_format(buf + n, cap - n, " inlined in ");
        }
    }
    describe_frame(a, -1, buf + n, cap - n);
}

int host_read_line(char *buf, size_t cap)
{
    if (script == NULL) {
        script = stdin;
    }
    if (fgets(buf, (int)cap, script) == NULL) {
        return 0;
    }
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    return 1;
}

int host_open_script(const char *path)
{
    script = fopen(path, "rb");
    return script != NULL;
}

/* ---- Memory -------------------------------------------------------------------------------- */

void *host_malloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (p == NULL) {
        fprintf(stdout, "host: out of memory (%zu bytes)\n", size);
        host_exit(70);
    }
    return p;
}

void *host_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL) {
        fprintf(stdout, "host: out of memory (%zu bytes)\n", size);
        host_exit(70);
    }
    return q;
}

void host_free(void *p)
{
    free(p);
}

static int guard_pages = 1;

void host_set_guard_pages(int on)
{
    guard_pages = on;
}

void *host_guarded_alloc(size_t size, void **base, size_t *span)
{
    if (!guard_pages) {
        /* set guard off: the heap, never freed, so never reused; an odd span marks it (the
         * arena's spans are whole pages) */
        size_t rounded = (size + 15) & ~(size_t)15;
        void *p = HeapAlloc(GetProcessHeap(), 0, rounded + 16);
        if (p == NULL) {
            fprintf(stdout, "host: out of memory\n");
            host_exit(70);
        }
        *base = p;
        *span = rounded | 1;
        return p;
    }
    size_t rounded = (size + 15) & ~(size_t)15;
    size_t pages = (rounded + PAGE - 1) / PAGE;
    if (pages == 0) {
        pages = 1;
    }
    size_t need = (pages + 1) * PAGE; /* + the guard page */
    if (arena_used + need > ARENA_SIZE) {
        arena =
            need <= ARENA_SIZE ? VirtualAlloc(NULL, ARENA_SIZE, MEM_RESERVE, PAGE_NOACCESS) : NULL;
        if (arena == NULL) {
            fprintf(stdout, "host: guarded arena exhausted\n");
            host_exit(70);
        }
        arena_used = 0;
    }
    unsigned char *region = arena + arena_used;
    arena_used += need;
    if (VirtualAlloc(region, pages * PAGE, MEM_COMMIT, PAGE_READWRITE) == NULL) {
        fprintf(stdout, "host: cannot commit %zu pages\n", pages);
        host_exit(70);
    }
    *base = region;
    *span = need;
    return region + pages * PAGE - rounded;
}

void host_guarded_decommit(void *base, size_t span)
{
    if (span & 1) {
        return; /* a heap block (guard off): kept, so a use after free goes unnoticed */
    }
    VirtualFree(base, span - PAGE, MEM_DECOMMIT);
}

unsigned long long host_nanoseconds(void)
{
    static LARGE_INTEGER frequency;
    LARGE_INTEGER now;
    if (frequency.QuadPart == 0) {
        QueryPerformanceFrequency(&frequency);
    }
    QueryPerformanceCounter(&now);
    return (unsigned long long)(now.QuadPart / frequency.QuadPart) * 1000000000ULL +
           (unsigned long long)(now.QuadPart % frequency.QuadPart) * 1000000000ULL /
               (unsigned long long)frequency.QuadPart;
}
