/*
 * Kernel declarations for zig (mingw-w64) builds: mingw-w64's ntddk.h (wdm.h) plus what it
 * lacks and the TAP driver uses. The ARM64 branch of ntddk.h/wdm.h comes from the build's
 * patched copies (site_scons/tapbuild/build/ddkpatch.py), which the include path finds before
 * zig's ddk/ directory.
 *
 * Written from Microsoft's DDI reference (wdm.h pages); layouts are checked against the WDK by
 * tests/layout on every architecture.
 */
#pragma once

#include <ntddk.h>

/* String helpers: the kernel's exported Rtl*UnicodeString* routines (wdm.h). mingw-w64's
 * ntstrsafe.h is not used: its functions are inline-only (gnu_inline) and pull in the CRT's
 * stdio.h; text formatting lives in the portable core (driver/core). */

/* MmGetSystemAddressForMdlSafe / MmMapLockedPagesSpecifyCache: OR-ed into the page priority to
 * map the pages no-execute. Honoured from Windows 8 on; older Windows must not be passed it. */
#ifndef MdlMappingNoExecute
#define MdlMappingNoExecute 0x40000000
#endif

/*
 * NX pool opt-in for a single binary (POOL_NX_OPTIN, "Single Binary Opt-In" in the kernel
 * documentation): with POOL_NX_OPTIN defined, NonPagedPool names the variable
 * ExDefaultNonPagedPoolType, which ExInitializeDriverRuntime(DrvRtPoolNxOptIn) sets to
 * NonPagedPoolNx on Windows 8 and later; it stays executable non-paged pool on Windows 7.
 * DriverEntry calls ExInitializeDriverRuntime before any allocation.
 */
#define DrvRtPoolNxOptIn 0x00000001

#if defined(_ARM64_) || defined(__aarch64__)

/* ARM64: the WDK's headers make NonPagedPool the no-execute pool itself (a constant, 512; the
 * layout test's constants table), whatever POOL_NX_OPTIN says: nothing to choose at run time. */
#define NonPagedPool             NonPagedPoolNx
#define NonPagedPoolCacheAligned NonPagedPoolNxCacheAligned

FORCEINLINE VOID ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    UNREFERENCED_PARAMETER(RuntimeFlags);
}

#elif defined(POOL_NX_OPTIN) && POOL_NX_OPTIN && !defined(POOL_NX_OPTOUT)

DECLSPEC_SELECTANY POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPoolExecute;

#define NonPagedPool ExDefaultNonPagedPoolType
#define NonPagedPoolCacheAligned                                                                   \
    (ExDefaultNonPagedPoolType == NonPagedPoolNx ? NonPagedPoolNxCacheAligned                      \
                                                 : NonPagedPoolBaseCacheAligned)

FORCEINLINE VOID ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    RTL_OSVERSIONINFOW version;

    if (!(RuntimeFlags & DrvRtPoolNxOptIn)) {
        return;
    }
    RtlZeroMemory(&version, sizeof(version));
    version.dwOSVersionInfoSize = sizeof(version);
    if (NT_SUCCESS(RtlGetVersion(&version)) &&
        (version.dwMajorVersion > 6 ||
         (version.dwMajorVersion == 6 && version.dwMinorVersion >= 2))) {
        ExDefaultNonPagedPoolType = NonPagedPoolNx;
    }
}

#else

FORCEINLINE VOID ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    UNREFERENCED_PARAMETER(RuntimeFlags);
}

#endif

/* Cancel-safe IRP queue callbacks by role (wdm.h; mingw-w64 has only the pointer types), so a
 * driver declares them as `static IO_CSQ_REMOVE_IRP MyRemove;`. */
typedef VOID(NTAPI IO_CSQ_REMOVE_IRP)(PIO_CSQ Csq, PIRP Irp);
typedef PIRP(NTAPI IO_CSQ_PEEK_NEXT_IRP)(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext);
typedef VOID(NTAPI IO_CSQ_ACQUIRE_LOCK)(PIO_CSQ Csq, PKIRQL Irql);
typedef VOID(NTAPI IO_CSQ_RELEASE_LOCK)(PIO_CSQ Csq, KIRQL Irql);
typedef VOID(NTAPI IO_CSQ_COMPLETE_CANCELED_IRP)(PIO_CSQ Csq, PIRP Irp);
