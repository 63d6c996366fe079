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

IMPORTS: list[Import] = [
    # Kernel runtime (driver/krt.c): stack cookie seed and the stack-overrun bug check.
    Import("ntoskrnl.exe", "KeBugCheckEx", "stdcall", 20),
    Import("ntoskrnl.exe", "KeQueryPerformanceCounter", "stdcall", 4, arches=WIN64),
    Import("hal.dll", "KeQueryPerformanceCounter", "stdcall", 4, arches=X86),
    # Diagnostics.
    Import("ntoskrnl.exe", "DbgPrintEx", "cdecl"),
]
