"""The driver's import table: every kernel function tap*.sys may import.

The build makes the import libraries from this table and the PE gate checks the linked image
against it (exactly these functions for the arch, none newer than its oldest Windows). Add an
entry when the driver starts calling a function, remove it when it stops.

i386 argument bytes are the stdcall/fastcall decoration; ``since`` is the oldest Windows that
exports the function (Microsoft's DDI reference, "Requirements").
"""

from tapbuild.imports import Import

X86 = ("i386",)
WIN64 = ("amd64", "arm64")
ZIG = ("zig",)  # driver/krt.c: the zig build's runtime

IMPORTS: list[Import] = [
    # Kernel runtime (driver/krt.c): stack cookie seed and the stack-overrun bug check (only
    # linked in when some function has a stack protector).
    Import("ntoskrnl.exe", "KeBugCheckEx", "stdcall", 20, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "KeQueryPerformanceCounter", "stdcall", 4, arches=WIN64, toolchains=ZIG),
    Import("hal.dll", "KeQueryPerformanceCounter", "stdcall", 4, arches=X86, toolchains=ZIG),
    # What the compiler may call on its own: memory copies and fills, and on i386 the 64-bit
    # division helpers that driver/krt.c forwards to.
    Import("ntoskrnl.exe", "memcpy", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memset", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memmove", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "memcmp", "cdecl", implicit=True),
    Import("ntoskrnl.exe", "_alldiv", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_aulldiv", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_allrem", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    Import("ntoskrnl.exe", "_aullrem", "stdcall", 16, arches=X86, toolchains=ZIG, implicit=True),
    # Diagnostics.
    Import("ntoskrnl.exe", "DbgPrintEx", "cdecl"),
    # NDIS miniport driver (driver/driver.c): version check, registration, send completion.
    Import("ndis.sys", "NdisGetVersion", "stdcall", 0),
    Import("ndis.sys", "NdisMRegisterMiniportDriver", "stdcall", 20),
    Import("ndis.sys", "NdisMDeregisterMiniportDriver", "stdcall", 4),
    Import("ndis.sys", "NdisMSendNetBufferListsComplete", "stdcall", 12),
]
