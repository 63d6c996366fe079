/*
 * tapinstall: the few runtime functions a compiler may call on its own (there is no C runtime
 * to provide them): memset/memcpy for structure initialisation and copies, and the stack
 * protector's guard and failure handler when built with -fstack-protector.
 *
 * SPDX-License-Identifier: MIT
 */
#include "win.h"

#ifdef _MSC_VER
#pragma function(memset, memcpy)
#endif

/* volatile keeps the compiler from turning these loops back into calls to themselves. */
void *memset(void *dst, int c, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    while (n-- != 0)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n-- != 0)
        *d++ = *s++;
    return dst;
}

#if defined(__GNUC__) || defined(__clang__)
/* -fstack-protector's guard: a fixed value until RtInit mixes in per-process entropy. */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the names -fstack-protector uses */
uintptr_t __stack_chk_guard = (uintptr_t)0x2B992DDFA2324BD7ull;

__attribute__((noreturn)) void __stack_chk_fail(void);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */
__attribute__((noreturn)) void __stack_chk_fail(void)
{
    /* STATUS_STACK_BUFFER_OVERRUN, as the Windows fail-fast path reports it. */
    TerminateProcess(GetCurrentProcess(), 0xC0000409u);
    for (;;)
        ;
}
#endif

/* Not instrumented itself: it changes the guard its own epilogue would check. */
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
__attribute__((no_stack_protector))
#endif
#endif
void RtInit(void)
{
#if defined(__GNUC__) || defined(__clang__)
    LARGE_INTEGER counter;
    uintptr_t seed = (uintptr_t)&counter;
    QueryPerformanceCounter(&counter);
    seed ^= (uintptr_t)counter.QuadPart;
    seed ^= (uintptr_t)GetCurrentProcessId() << 16;
    seed ^= (uintptr_t)GetCurrentThreadId() << 8;
    seed ^= (uintptr_t)GetTickCount();
    if (seed == 0)
        seed = 1;
    __stack_chk_guard ^= seed;
#endif
}
