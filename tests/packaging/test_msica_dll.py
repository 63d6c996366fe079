"""tapmsi.dll, the merge module's custom-action DLL, built for three archs with zig."""

from __future__ import annotations

from pathlib import Path

import pefile
import pytest
from tapbuild.arch import ARCHES
from tapbuild.build.pecheck import SYSTEM_DLLS

CRT = ("msvcrt", "ucrtbase", "api-ms-win-crt", "vcruntime", "libgcc", "libwinpthread")


@pytest.fixture(scope="module")
def dlls(dll_dir: Path) -> dict[str, Path]:
    """The DLLs `scons msica` built in the scratch tree (conftest.py: ``dll_dir``)."""
    return {a: dll_dir / a / "installer" / "tapmsi.dll" for a in ARCHES}


@pytest.mark.slow
@pytest.mark.parametrize("arch", list(ARCHES))
def test_exports_imports_machine(dlls: dict[str, Path], arch: str) -> None:
    pe = pefile.PE(str(dlls[arch]))
    try:
        assert pe.FILE_HEADER.Machine == ARCHES[arch].pe_machine
        assert pe.is_dll()
        exports = sorted(e.name.decode() for e in pe.DIRECTORY_ENTRY_EXPORT.symbols)
        assert exports == ["MsiEvaluate", "MsiProcess"]  # undecorated on i386 too
        imported = {e.dll.decode().lower() for e in pe.DIRECTORY_ENTRY_IMPORT}
        assert "msi.dll" in imported
        assert imported <= SYSTEM_DLLS
        assert not [d for d in imported if d.startswith(CRT)]
        assert pe.OPTIONAL_HEADER.AddressOfEntryPoint == 0  # no DllMain, no CRT start-up
    finally:
        pe.close()
