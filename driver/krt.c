/*
 * The kernel runtime of zig builds (driver/SConscript compiles this file with zig only): what
 * the WDK's BufferOverflowK.lib, memcmp.lib and the compiler helpers give WDK builds.
 *
 * - GsDriverEntry: the image entry point; seeds the stack-protector cookie from hal.dll's
 *   KeQueryPerformanceCounter, then calls DriverEntry.
 * - __stack_chk_guard / __stack_chk_fail for -fstack-protector-strong.
 * - i386: the compiler's 64-bit division helpers, forwarded to the kernel's exports, and
 *   memcmp, which Windows 7 x86's ntoskrnl does not export.
 */
#include "decl/tapkernel.h"

#define TAP_BUGCHECK_STACK_OVERRUN 0xF7 /* DRIVER_OVERRAN_STACK_BUFFER */

#if defined(_WIN64)
#define TAP_DEFAULT_COOKIE ((ULONG_PTR)0x00002B992DDFA232ULL)
#else
#define TAP_DEFAULT_COOKIE ((ULONG_PTR)0xBB40E64EUL)
#endif

DRIVER_INITIALIZE DriverEntry;
DRIVER_INITIALIZE GsDriverEntry;

/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the names -fstack-protector uses */
ULONG_PTR __stack_chk_guard = TAP_DEFAULT_COOKIE;

__attribute__((noreturn, no_stack_protector)) void __stack_chk_fail(void);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */

__attribute__((noreturn, no_stack_protector)) void __stack_chk_fail(void)
{
    KeBugCheckEx(TAP_BUGCHECK_STACK_OVERRUN, 0, __stack_chk_guard, ~__stack_chk_guard, 0);
}

__attribute__((no_stack_protector)) NTSTATUS NTAPI GsDriverEntry(PDRIVER_OBJECT DriverObject,
                                                                 PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER counter = KeQueryPerformanceCounter(NULL);
    ULONG_PTR cookie = (ULONG_PTR)counter.QuadPart ^ (ULONG_PTR)(counter.QuadPart >> 32) ^
                       (ULONG_PTR)&counter ^ (ULONG_PTR)DriverObject;
#if defined(_WIN64)
    cookie &= 0x0000FFFFFFFFFFFFULL; /* as MSVC: the top 16 bits stay zero */
#endif
    if (cookie == 0 || cookie == TAP_DEFAULT_COOKIE) {
        cookie ^= 0x4711;
    }
    __stack_chk_guard = cookie;
    return DriverEntry(DriverObject, RegistryPath);
}

#if defined(__i386__)
/* clang emits libgcc names for 64-bit division on i386; ntoskrnl exports the MSVC ones. */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c): the compiler's and the kernel's names */
unsigned long long __stdcall _aulldiv(unsigned long long, unsigned long long);
long long __stdcall _alldiv(long long, long long);
unsigned long long __stdcall _aullrem(unsigned long long, unsigned long long);
long long __stdcall _allrem(long long, long long);
unsigned long long __udivdi3(unsigned long long a, unsigned long long b);
long long __divdi3(long long a, long long b);
unsigned long long __umoddi3(unsigned long long a, unsigned long long b);
long long __moddi3(long long a, long long b);
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c) */

unsigned long long __udivdi3(unsigned long long a, unsigned long long b)
{
    return _aulldiv(a, b);
}
long long __divdi3(long long a, long long b)
{
    return _alldiv(a, b);
}
unsigned long long __umoddi3(unsigned long long a, unsigned long long b)
{
    return _aullrem(a, b);
}
long long __moddi3(long long a, long long b)
{
    return _allrem(a, b);
}

/* -ffreestanding: the compiler never turns this loop back into a memcmp call. */
int __cdecl memcmp(const void *a, const void *b, size_t n);
int __cdecl memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a;
    const unsigned char *q = b;

    for (; n != 0; n--, p++, q++) {
        if (*p != *q) {
            return *p < *q ? -1 : 1;
        }
    }
    return 0;
}
#endif
