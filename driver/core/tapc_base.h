/*
 * tapc_base.h - freestanding basics of the TAP core: status codes, byte order, memory.
 *
 * The core includes only <stdint.h>, <stddef.h> and <stdbool.h>, never allocates, keeps no
 * mutable globals and is not thread-safe: the caller serialises calls on one adapter.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAPC_BASE_H
#define TAPC_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * memcpy/memset/memmove/memcmp are the only library functions the core uses; every host C
 * library has them. In the driver, ntoskrnl exports memcpy, memset and memmove on every arch,
 * memcmp on 64-bit Windows only (Windows 7 x86 lacks it): the i386 image links its own
 * (driver/krt.c with zig, the kit's memcmp.lib with the WDK; see driver/imports.py).
 */
#if defined(__GNUC__) || defined(__clang__)
#define tapc_memcpy  __builtin_memcpy
#define tapc_memset  __builtin_memset
#define tapc_memmove __builtin_memmove
#define tapc_memcmp  __builtin_memcmp
#else
void *__cdecl memcpy(void *dst, const void *src, size_t n);
void *__cdecl memset(void *dst, int c, size_t n);
void *__cdecl memmove(void *dst, const void *src, size_t n);
int __cdecl memcmp(const void *a, const void *b, size_t n);
#define tapc_memcpy  memcpy
#define tapc_memset  memset
#define tapc_memmove memmove
#define tapc_memcmp  memcmp
#endif

/* Results, numerically equal to the NTSTATUS the driver completes the request with. */
typedef uint32_t tapc_status;
#define TAPC_STATUS_SUCCESS                0x00000000u
#define TAPC_STATUS_PENDING                0x00000103u /* read: nothing queued yet */
#define TAPC_STATUS_NO_MORE_ENTRIES        0x8000001Au /* GET_LOG_LINE: log is empty */
#define TAPC_STATUS_UNSUCCESSFUL           0xC0000001u /* second open (as 9.x) */
#define TAPC_STATUS_INVALID_PARAMETER      0xC000000Du /* malformed or short input */
#define TAPC_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u /* unknown or unsupported code */
#define TAPC_STATUS_BUFFER_TOO_SMALL       0xC0000023u /* output too small, short write */
#define TAPC_STATUS_CANCELLED              0xC0000120u /* not open / media down / not D0 */

/* Big-endian (network order) loads and stores; no alignment is assumed. */
static inline uint16_t tapc_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

static inline uint32_t tapc_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void tapc_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tapc_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif /* TAPC_BASE_H */
