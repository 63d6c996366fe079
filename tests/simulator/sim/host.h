/*
 * The driver simulator's host services: what the simulated kernel needs from the Windows
 * process it runs in (wine64). host.c is the only file that includes windows.h and the C
 * runtime; this header uses plain C types only, so the kernel side (which includes the
 * driver's own kernel declarations) can include it too.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Sets up the process: binary stdout, the exception handler, symbols for call sites. */
void host_init(void);

/* One line of output (the simulator's event stream); a newline is added. */
void host_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void host_vline(const char *fmt, va_list ap);
/* Writes what the lines above buffered. */
void host_flush(void);
/* Formatting into a buffer (always NUL-terminated); returns the length written. */
size_t host_format(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t host_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
/* Kernel-style formatting for DbgPrintEx: also %wZ (UNICODE_STRING *), %Z (ANSI_STRING *),
 * %ws and %S (wide strings). */
size_t host_kformat(char *buf, size_t cap, const char *fmt, va_list ap);

/* Ends the process with the exit code after flushing the output. */
__attribute__((noreturn)) void host_exit(int code);

/* "Function+0x12 (file.c:34)" for a code address, or its module and offset. */
void host_describe(const void *addr, char *buf, size_t cap);

/* The next line of the script (stdin, or the file given on the command line), without its
 * line end; returns 0 at the end. */
int host_read_line(char *buf, size_t cap);
/* Reads the script from a file instead of stdin; 0 if it cannot be opened. */
int host_open_script(const char *path);

/* The host's monotonic clock (QueryPerformanceCounter) in nanoseconds: the benchmark's. */
unsigned long long host_nanoseconds(void);

/* Bookkeeping memory of the simulator itself (never seen by the driver). */
void *host_malloc(size_t size);
void *host_realloc(void *p, size_t size);
void host_free(void *p);

/*
 * Guarded memory for everything the driver sees: each block ends at a page end followed by an
 * inaccessible page, its head slack holds a pattern, and freeing decommits its pages, so any
 * overrun or use after free faults at the faulting instruction. Address space is never reused.
 * Returns the block (size rounded up to 16 bytes sits before the guard page); *base and *span
 * receive the reserved region.
 */
void *host_guarded_alloc(size_t size, void **base, size_t *span);
void host_guarded_decommit(void *base, size_t span);
/* Off (`set guard off`, the benchmark): later blocks come from the heap, without guard page or
 * decommit, so overruns and uses after free go unnoticed. */
void host_set_guard_pages(int on);

/*
 * Callbacks into the simulated kernel from the exception handler:
 * - the IRQL the driver reads and writes through CR8 (KeGetCurrentIrql, KeRaiseIrql and
 *   KeLowerIrql are inline on amd64): a privileged instruction in user mode, emulated;
 * - a memory access fault: the simulator explains it (use after free, overrun) and exits.
 */
unsigned sim_cr8_read(void);
unsigned long long sim_now_100ns(void); /* the simulated clock, since boot */
void sim_cr8_write(unsigned value, const void *ip);
__attribute__((noreturn)) void sim_fault(const void *ip, const void *addr, int write,
                                         unsigned long code);
