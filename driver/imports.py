"""The driver's import table: every kernel function tap*.sys may import.

The build makes the import libraries from this table and the PE gate checks the linked image
against it (exactly these functions for the arch, none newer than its oldest Windows). Add an
entry when the driver starts calling a function, remove it when it stops.

i386 argument bytes are the stdcall/fastcall decoration; ``since`` is the oldest Windows that
exports the function (Microsoft's DDI reference, "Requirements"). The table is not its own
proof: the PE gate holds every i386/amd64 import to mingw-w64's .def files in the installed
ziglang (tapbuild.build.mingwdefs; their ntoskrnl.def and hal.def predate Windows 8), and arm64's
kernel imports to the DLLs given here for i386/amd64 (tests/build/test_export_evidence.py).
"""

from tapbuild.arch import arch_names
from tapbuild.build.imports import Import

X86 = arch_names(lambda a: a.bits == 32)
WIN64 = arch_names(lambda a: a.bits == 64)
WIN10 = arch_names(lambda a: a.min_windows >= (10, 0))  # the WDK's headers target Windows 10
ZIG = ("zig",)  # driver/krt.c: the zig build's runtime
WDK = ("ewdk", "wdk")

IMPORTS: list[Import] = [
    # Kernel runtime: the stack-overrun bug check (0xF7) of driver/krt.c (zig) and of the WDK's
    # BufferOverflowK.lib (targets older than Windows 8; BufferOverflowFastFailK.lib fails
    # with __fastfail instead), linked in when some function has a stack protector; the stack
    # cookie seed of driver/krt.c.
    Import("ntoskrnl.exe", "KeBugCheckEx", "stdcall", 20, implicit=True),
    # hal.dll on every arch (DDI reference: "DLL Hal.dll"; mingw-w64's lib64/ntoskrnl.def lacks
    # it, lib64/hal.def has it: Windows 7 x64's kernel does not export it).
    Import("hal.dll", "KeQueryPerformanceCounter", "stdcall", 4, toolchains=ZIG),
    # What the compiler may call on its own: memory copies and fills, and on i386 the 64-bit
    # division helpers that driver/krt.c forwards to. memcmp: Windows 7 x86's ntoskrnl does not
    # export it (mingw-w64's lib32/ntoskrnl.def lists memcpy, memmove and memset only), so on
    # i386 it is linked statically: driver/krt.c with zig, the kit's memcmp.lib with the WDK.
    Import("ntoskrnl.exe", "memcpy", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memset", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memmove", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memcmp", "cdecl", arches=WIN64, implicit=True),
    Import("ntoskrnl.exe", "_alldiv", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_aulldiv", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_allrem", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_aullrem", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    # Diagnostics. RtlAssert: config=debug (DBG=1) only, through ASSERT in the kernel headers
    # (IoGetCurrentIrpStackLocation); exported by every Windows.
    Import("ntoskrnl.exe", "DbgPrintEx", "cdecl"),
    Import("ntoskrnl.exe", "RtlAssert", "stdcall", 16, implicit=True),
    # Memory: non-paged pool, NonPagedPoolNx chosen at run time from Windows 8 (driver.c).
    Import("ntoskrnl.exe", "ExAllocatePoolWithTag", "stdcall", 12),
    Import("ntoskrnl.exe", "ExFreePoolWithTag", "stdcall", 8),
    # Spin locks: hal.dll's fastcall forms on i386, ntoskrnl elsewhere. KeInitializeSpinLock
    # is inline on every arch in mingw-w64's wdm.h. The WDK's wdm.h inlines it only for 64-bit
    # targets older than Windows 10 (amd64 here, built for Windows 7); it calls ntoskrnl's
    # export on i386 and for Windows 10 targets (arm64 here).
    Import(
        "ntoskrnl.exe",
        "KeInitializeSpinLock",
        "stdcall",
        4,
        arches=X86 + WIN10,
        toolchains=WDK,
        implicit=True,
    ),
    Import("hal.dll", "KfAcquireSpinLock", "fastcall", 4, arches=X86),
    Import("hal.dll", "KfReleaseSpinLock", "fastcall", 8, arches=X86),
    Import("ntoskrnl.exe", "KeAcquireSpinLockRaiseToDpc", "stdcall", 4, arches=WIN64),
    Import("ntoskrnl.exe", "KeReleaseSpinLock", "stdcall", 8, arches=WIN64),
    # IRPs (driver/device.c): completion, the cancel-safe queue of pending reads, direct-I/O
    # buffers (MmGetSystemAddressForMdlSafe maps through MmMapLockedPagesSpecifyCache).
    Import("ntoskrnl.exe", "IofCompleteRequest", "fastcall", 8),
    Import("ntoskrnl.exe", "IoCsqInitializeEx", "stdcall", 28),
    Import("ntoskrnl.exe", "IoCsqInsertIrpEx", "stdcall", 16),
    Import("ntoskrnl.exe", "IoCsqRemoveNextIrp", "stdcall", 8),
    Import("ntoskrnl.exe", "MmMapLockedPagesSpecifyCache", "stdcall", 24),
    # Strings and the service key's TapDiag value (driver/driver.c, driver/device.c).
    Import("ntoskrnl.exe", "RtlInitUnicodeString", "stdcall", 8),
    Import("ntoskrnl.exe", "RtlAppendUnicodeToString", "stdcall", 8),
    Import("ntoskrnl.exe", "ZwOpenKey", "stdcall", 12),
    Import("ntoskrnl.exe", "ZwQueryValueKey", "stdcall", 24),
    Import("ntoskrnl.exe", "ZwClose", "stdcall", 4),
    # NDIS miniport driver (driver/driver.c): version check, registration.
    Import("ndis.sys", "NdisGetVersion", "stdcall", 0),
    Import("ndis.sys", "NdisMRegisterMiniportDriver", "stdcall", 20),
    Import("ndis.sys", "NdisMDeregisterMiniportDriver", "stdcall", 4),
    # Adapter (driver/adapter.c): registry parameters, attributes, status indications, pause.
    Import("ndis.sys", "NdisOpenConfigurationEx", "stdcall", 8),
    Import("ndis.sys", "NdisReadConfiguration", "stdcall", 20),
    Import("ndis.sys", "NdisReadNetworkAddress", "stdcall", 16),
    Import("ndis.sys", "NdisCloseConfiguration", "stdcall", 4),
    Import("ndis.sys", "NdisMSetMiniportAttributes", "stdcall", 8),
    Import("ndis.sys", "NdisMIndicateStatusEx", "stdcall", 8),
    Import("ndis.sys", "NdisMPauseComplete", "stdcall", 4),
    # Device (driver/device.c): \Device\{GUID}.tap with its SDDL, the halt rendezvous.
    Import("ndis.sys", "NdisRegisterDeviceEx", "stdcall", 16),
    Import("ndis.sys", "NdisDeregisterDeviceEx", "stdcall", 4),
    Import("ndis.sys", "NdisGetDeviceReservedExtension", "stdcall", 4),
    Import("ndis.sys", "NdisInitializeEvent", "stdcall", 4),
    Import("ndis.sys", "NdisSetEvent", "stdcall", 4),
    Import("ndis.sys", "NdisWaitEvent", "stdcall", 8),
    # Data path (driver/datapath.c): NBL pool and receive buffers, sends, receives.
    Import("ndis.sys", "NdisAllocateNetBufferListPool", "stdcall", 8),
    Import("ndis.sys", "NdisFreeNetBufferListPool", "stdcall", 4),
    Import("ndis.sys", "NdisAllocateNetBufferAndNetBufferList", "stdcall", 24),
    Import("ndis.sys", "NdisFreeNetBufferList", "stdcall", 4),
    Import("ndis.sys", "NdisAllocateMdl", "stdcall", 12),
    Import("ndis.sys", "NdisFreeMdl", "stdcall", 4),
    Import("ndis.sys", "NdisGetDataBuffer", "stdcall", 20),
    Import("ndis.sys", "NdisMIndicateReceiveNetBufferLists", "stdcall", 20),
    Import("ndis.sys", "NdisMSendNetBufferListsComplete", "stdcall", 12),
]
