/*
 * Kernel definitions for ARM64 that mingw-w64's wdm.h lacks (it knows x86, AMD64, IA64, PPC,
 * MIPS and 32-bit ARM). tapbuild.build.ddkpatch copies this file beside a patched wdm.h as
 * tapddk_arm64.h and adds an ARM64 branch to wdm.h's architecture chain that includes it, at
 * the point where the other architectures define their IRQLs, page size and processor
 * helpers. Everything wdm.h needs before that point is architecture-neutral.
 *
 * Written from Microsoft's DDI reference (IRQL values, KeXxx routines: "DLL NtosKrnl.exe",
 * "Target Platform Universal"); nothing here reads processor registers or the PCR, so no
 * undocumented offset is involved. Functions declared here become imports: the driver's import
 * table (driver/imports.py) and the PE gate decide whether the driver may call them.
 */
#pragma once

#if !defined(_ARM64_)
#error tapddk_arm64.h is for ARM64 targets only
#endif

/* Interrupt request levels (the same numbers as on AMD64). */
#define PASSIVE_LEVEL  0
#define LOW_LEVEL      0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define CLOCK_LEVEL    13
#define IPI_LEVEL      14
#define DRS_LEVEL      14
#define POWER_LEVEL    14
#define PROFILE_LEVEL  15
#define HIGH_LEVEL     15

/* 4 KiB pages. */
#define PAGE_SIZE  0x1000
#define PAGE_SHIFT 12L

/* KeSaveFloatingPointState/KeRestoreFloatingPointState keep no caller-visible state on 64-bit
 * Windows; the structure exists so that their declarations compile. */
typedef struct _KFLOATING_SAVE {
    ULONG Dummy;
} KFLOATING_SAVE, *PKFLOATING_SAVE;

/* Data and instruction caches are coherent with DMA: nothing to flush. */
#define KeFlushIoBuffers(Mdl, ReadOperation, DmaOperation)
#define KeGetDcacheFillSize() 1L

/* Spin-wait hint and the assertion break (BRK #0xF001 is Windows' assertion code on ARM64). */
#define YieldProcessor()           __asm__ __volatile__("yield" ::: "memory")
#define DbgRaiseAssertionFailure() __asm__ __volatile__("brk #0xf001")

/* IRQL routines: exported functions of ntoskrnl on ARM64. */
NTKERNELAPI KIRQL NTAPI KeGetCurrentIrql(VOID);
NTKERNELAPI VOID NTAPI KeLowerIrql(KIRQL NewIrql);
NTKERNELAPI KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID);
NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);
