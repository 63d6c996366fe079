"""tapinstall's import table: every function tapinstall.exe may import, and from which DLL.

All of them are exported by Windows 7 SP1 and later (and by every Windows on arm64); no C
runtime DLL appears. The build makes tapinstall's import libraries from this table (zig's own
.def files lack newdev on arm64) and the PE gate checks the linked image against it. Add an
entry when the code starts calling a function, remove it when it stops.

i386 argument bytes are the stdcall decoration (the sum of the parameter sizes, 4 per
pointer, handle or 32-bit integer).
"""

from tapbuild.build.imports import Import

ZIG = ("zig",)

IMPORTS: list[Import] = [
    # Process, memory and console (win_main.c, win_rt.c).
    Import("kernel32.dll", "ExitProcess", "stdcall", 4),
    Import("kernel32.dll", "GetCommandLineW", "stdcall", 0),
    Import("kernel32.dll", "GetProcessHeap", "stdcall", 0),
    Import("kernel32.dll", "HeapAlloc", "stdcall", 12),
    Import("kernel32.dll", "HeapFree", "stdcall", 12),
    Import("kernel32.dll", "GetStdHandle", "stdcall", 4),
    Import("kernel32.dll", "GetConsoleMode", "stdcall", 8),
    Import("kernel32.dll", "GetConsoleOutputCP", "stdcall", 0),
    Import("kernel32.dll", "WriteConsoleW", "stdcall", 20),
    Import("kernel32.dll", "WriteFile", "stdcall", 20),
    Import("kernel32.dll", "WideCharToMultiByte", "stdcall", 32),
    Import("kernel32.dll", "GetLastError", "stdcall", 0),
    Import("kernel32.dll", "FormatMessageW", "stdcall", 28),
    Import("kernel32.dll", "GetFullPathNameW", "stdcall", 16),
    Import("kernel32.dll", "GetFileAttributesW", "stdcall", 4),
    # Stack protector seed and failure (win_rt.c; zig builds use -fstack-protector-strong,
    # cl builds /GS-).
    Import("kernel32.dll", "QueryPerformanceCounter", "stdcall", 4, toolchains=ZIG),
    Import("kernel32.dll", "GetCurrentProcessId", "stdcall", 0, toolchains=ZIG),
    Import("kernel32.dll", "GetCurrentThreadId", "stdcall", 0, toolchains=ZIG),
    Import("kernel32.dll", "GetTickCount", "stdcall", 0, toolchains=ZIG),
    Import("kernel32.dll", "GetCurrentProcess", "stdcall", 0, toolchains=ZIG),
    Import("kernel32.dll", "TerminateProcess", "stdcall", 8, toolchains=ZIG),
    # Devices (win_devices.c).
    Import("setupapi.dll", "SetupDiGetClassDevsW", "stdcall", 16),
    Import("setupapi.dll", "SetupDiEnumDeviceInfo", "stdcall", 12),
    Import("setupapi.dll", "SetupDiGetDeviceInstanceIdW", "stdcall", 20),
    Import("setupapi.dll", "SetupDiGetDeviceRegistryPropertyW", "stdcall", 28),
    Import("setupapi.dll", "SetupDiDestroyDeviceInfoList", "stdcall", 4),
    Import("setupapi.dll", "SetupDiSetClassInstallParamsW", "stdcall", 16),
    Import("setupapi.dll", "SetupDiCallClassInstaller", "stdcall", 12),
    Import("setupapi.dll", "SetupDiGetDeviceInstallParamsW", "stdcall", 12),
    Import("setupapi.dll", "SetupDiGetINFClassW", "stdcall", 20),
    Import("setupapi.dll", "SetupDiCreateDeviceInfoList", "stdcall", 8),
    Import("setupapi.dll", "SetupDiCreateDeviceInfoW", "stdcall", 28),
    Import("setupapi.dll", "SetupDiSetDeviceRegistryPropertyW", "stdcall", 20),
    Import("newdev.dll", "UpdateDriverForPlugAndPlayDevicesW", "stdcall", 20),
    Import("cfgmgr32.dll", "CM_Get_DevNode_Status", "stdcall", 16),
]
