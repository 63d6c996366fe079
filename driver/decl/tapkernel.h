/*
 * The kernel and NDIS declarations of the TAP driver. Every driver source file includes this
 * header first and nothing else from the kernel; it chooses by compiler:
 *
 * - zig (mingw-w64, __MINGW32__ defined): the project's declarations in mingw/, written from
 *   Microsoft's public documentation, over mingw-w64's ntddk.h (with the build's ARM64 patch);
 * - anything else (MSVC, clang-cl): the real WDK headers, ndis.h for an NDIS 6.30-capable
 *   miniport (the driver registers 6.20 or 6.30 at run time).
 *
 * Both sides define NDIS_MINIPORT_DRIVER, NDIS620_MINIPORT, NDIS630_MINIPORT, NDIS_WDM and
 * POOL_NX_OPTIN unless the build already did. tests/layout checks that both give the same
 * layouts on i386, amd64 and arm64.
 */
#pragma once

#ifndef NDIS_MINIPORT_DRIVER
#define NDIS_MINIPORT_DRIVER 1
#endif
#if !defined(NDIS620_MINIPORT) && !defined(NDIS630_MINIPORT)
#define NDIS620_MINIPORT 1
#define NDIS630_MINIPORT 1
#endif
#ifndef NDIS_WDM
#define NDIS_WDM 1
#endif
#ifndef POOL_NX_OPTIN
#define POOL_NX_OPTIN 1
#endif

#if defined(__MINGW32__)

#if !defined(NTDDI_VERSION)
#error "define NTDDI_VERSION: 0x06010000 (Windows 7) for i386/amd64, 0x0A000000 for arm64"
#endif
#ifndef _KERNEL_MODE
/* NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c): the WDK's kernel-mode macro */
#define _KERNEL_MODE 1
#endif
#include "mingw/ndis6.h"

#else

#include <ntddk.h>
#include <ndis.h>

#endif
