"""The custom-action DLL's import table: every function tapmsi.dll may import.

msi.dll and Windows system DLLs only, all exported by Windows 7 SP1 and later (and by every
Windows on arm64); no C runtime. The build makes the import libraries from this table and the
PE gate checks the linked DLL against it. i386 argument bytes are the stdcall decoration.
"""

from tapbuild.build.imports import Import

IMPORTS: list[Import] = [
    # Windows Installer session, records, database view (msica.c).
    Import("msi.dll", "MsiCloseHandle", "stdcall", 4),
    Import("msi.dll", "MsiCreateRecord", "stdcall", 4),
    Import("msi.dll", "MsiDatabaseOpenViewW", "stdcall", 12),
    Import("msi.dll", "MsiFormatRecordW", "stdcall", 16),
    Import("msi.dll", "MsiGetActiveDatabase", "stdcall", 4),
    Import("msi.dll", "MsiGetComponentStateW", "stdcall", 16),
    Import("msi.dll", "MsiGetMode", "stdcall", 8),
    Import("msi.dll", "MsiGetPropertyW", "stdcall", 16),
    Import("msi.dll", "MsiProcessMessage", "stdcall", 12),
    Import("msi.dll", "MsiRecordGetStringW", "stdcall", 16),
    Import("msi.dll", "MsiRecordSetStringW", "stdcall", 12),
    Import("msi.dll", "MsiSetPropertyW", "stdcall", 12),
    Import("msi.dll", "MsiViewExecute", "stdcall", 8),
    Import("msi.dll", "MsiViewFetch", "stdcall", 8),
    # Memory and strings.
    Import("kernel32.dll", "GetLastError", "stdcall", 0),
    Import("kernel32.dll", "GetProcessHeap", "stdcall", 0),
    Import("kernel32.dll", "HeapAlloc", "stdcall", 12),
    Import("kernel32.dll", "HeapFree", "stdcall", 12),
    Import("kernel32.dll", "lstrcmpiW", "stdcall", 8),
    # The shared state: clients, version, published package (HKLM, 64-bit view).
    Import("advapi32.dll", "RegCloseKey", "stdcall", 4),
    Import("advapi32.dll", "RegCreateKeyExW", "stdcall", 36),
    Import("advapi32.dll", "RegDeleteValueW", "stdcall", 8),
    Import("advapi32.dll", "RegOpenKeyExW", "stdcall", 20),
    Import("advapi32.dll", "RegQueryValueExW", "stdcall", 24),
    Import("advapi32.dll", "RegSetValueExW", "stdcall", 24),
    # The real Windows version (the Windows 10 driver variant), whatever the manifest says.
    Import("ntdll.dll", "RtlGetVersion", "stdcall", 4),
    # Driver store and devices.
    Import("setupapi.dll", "SetupCopyOEMInfW", "stdcall", 32),
    Import("setupapi.dll", "SetupDiDestroyDeviceInfoList", "stdcall", 4),
    Import("setupapi.dll", "SetupDiEnumDeviceInfo", "stdcall", 12),
    Import("setupapi.dll", "SetupDiGetClassDevsW", "stdcall", 16),
    Import("setupapi.dll", "SetupDiGetDeviceRegistryPropertyW", "stdcall", 28),
    Import("setupapi.dll", "SetupGetInfDriverStoreLocationW", "stdcall", 24),
    Import("setupapi.dll", "SetupUninstallOEMInfW", "stdcall", 12),
    Import(
        "newdev.dll",
        "DiUninstallDevice",
        "stdcall",
        20,
        evidence="DDI reference: newdev.dll, Windows 7; mingw-w64's lib32/lib64 newdev.def come "
        "from an older newdev.dll, its libarm32/newdev.def (Windows 8) lists it",
    ),
    Import("newdev.dll", "UpdateDriverForPlugAndPlayDevicesW", "stdcall", 20),
]
