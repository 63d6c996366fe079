"""Version resources (VERSIONINFO) for every .sys, .exe and .dll, generated from version.py.

The .rc text is complete in itself (numeric constants, no #include), so any resource
compiler takes it without headers or a preprocessor: ``zig rc`` and ``rc.exe`` alike.
"""

from __future__ import annotations

from typing import Any

from tapbuild.product.versioninfo import Product

VOS_NT_WINDOWS32 = 0x00040004
VFT_APP = 0x1
VFT_DLL = 0x2
VFT_DRV = 0x3
VFT2_DRV_NETWORK = 0x6
VS_FF_DEBUG = 0x1
VS_FFI_FILEFLAGSMASK = 0x3F

FILE_TYPES = {"driver": (VFT_DRV, VFT2_DRV_NETWORK), "program": (VFT_APP, 0), "dll": (VFT_DLL, 0)}

# The fields of version.py a version resource uses: a change elsewhere rebuilds no resource.
USED_FIELDS = (
    "PRODUCT_NAME",
    "PRODUCT_PUBLISHER",
    "PRODUCT_VERSION",
    "PRODUCT_TAP_WIN_MAJOR",
    "PRODUCT_TAP_WIN_MINOR",
    "PRODUCT_TAP_WIN_REVISION",
    "PRODUCT_TAP_WIN_BUILD",
)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def rc_text(
    product: Product, *, kind: str, filename: str, description: str, debug: bool = False
) -> str:
    """The .rc source of one binary's VERSIONINFO."""
    ftype, subtype = FILE_TYPES[kind]
    numbers = ",".join(str(n) for n in product.file_version)
    version = product.driver_version
    strings = [
        ("CompanyName", product.PRODUCT_PUBLISHER),
        ("FileDescription", description),
        ("FileVersion", version),
        ("InternalName", filename),
        ("LegalCopyright", f"Copyright (c) {product.PRODUCT_PUBLISHER}; MIT License"),
        ("OriginalFilename", filename),
        ("ProductName", product.PRODUCT_NAME),
        ("ProductVersion", product.PRODUCT_VERSION),
    ]
    lines = [
        "1 VERSIONINFO",
        f"FILEVERSION {numbers}",
        f"PRODUCTVERSION {numbers}",
        f"FILEFLAGSMASK 0x{VS_FFI_FILEFLAGSMASK:X}",
        f"FILEFLAGS 0x{VS_FF_DEBUG if debug else 0:X}",
        f"FILEOS 0x{VOS_NT_WINDOWS32:X}",
        f"FILETYPE 0x{ftype:X}",
        f"FILESUBTYPE 0x{subtype:X}",
        "BEGIN",
        '  BLOCK "StringFileInfo"',
        "  BEGIN",
        '    BLOCK "040904B0"',
        "    BEGIN",
        *(f"      VALUE {_quote(k)}, {_quote(v)}" for k, v in strings),
        "    END",
        "  END",
        '  BLOCK "VarFileInfo"',
        "  BEGIN",
        '    VALUE "Translation", 0x409, 1200',
        "  END",
        "END",
    ]
    return "\n".join(lines) + "\n"


def read_strings(pe: Any) -> dict[str, str]:
    """The StringFileInfo values of a parsed image's version resource (``pefile.PE``)."""
    return {
        key.decode(): value.decode()
        for info in getattr(pe, "FileInfo", [[]])[0]
        for table in getattr(info, "StringTable", [])
        for key, value in table.entries.items()
    }
