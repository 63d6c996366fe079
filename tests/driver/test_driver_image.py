"""The built driver (tap0901.sys, zig, three archs): it imports exactly what driver/imports.py
lists, contains no floating-point or SIMD instruction, no SEH, no C runtime, has unwind data on
64-bit Windows, and keeps no INIT code resident."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pefile
import pytest
from driverbuild import image
from tapbuild.arch import ARCHES
from tapbuild.build import imports as importtable
from tapbuild.build import pecheck

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "driver" / "imports.py"
OBJDUMP = "llvm-objdump-14"
SCN_MEM_DISCARDABLE = 0x02000000
UNW_FLAG_EHANDLER, UNW_FLAG_UHANDLER = 0x1, 0x2

pytestmark = pytest.mark.slow


def disassembly(path: Path) -> list[tuple[str, str]]:
    """(mnemonic, operands) of every instruction, symbol annotations and comments removed."""
    out = subprocess.run(
        [OBJDUMP, "-d", "--no-show-raw-insn", "--no-leading-addr", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    code = []
    for line in out.splitlines():
        if not line.startswith((" ", "\t")) or not line.strip():
            continue
        text = re.sub(r"<[^>]*>|#.*|//.*", "", line).strip()
        mnemonic, _, operands = text.partition("\t" if "\t" in text else " ")
        code.append((mnemonic.strip(), operands.strip()))
    assert len(code) > 1000, "no disassembly"
    return code


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_imports_are_exactly_the_table(release_tree: Path, arch: str) -> None:
    a = ARCHES[arch]
    table = importtable.for_arch(importtable.for_toolchain(importtable.load_table(TABLE), "zig"), a)
    allowed = importtable.expected_imports(table, a)
    required = importtable.expected_imports(table, a, required_only=True)
    pe = pefile.PE(str(image(release_tree, arch)))
    got = pecheck.image_imports(pe)
    # hal.dll: the performance counter on every arch (as the DDI reference and mingw-w64's
    # .def files say), i386's spin locks; no memcmp from Windows 7 x86's kernel, which lacks it.
    assert set(got) == {"ntoskrnl.exe", "ndis.sys", "hal.dll"}
    assert "KeQueryPerformanceCounter" in got["hal.dll"]
    assert "KeQueryPerformanceCounter" not in got["ntoskrnl.exe"]
    assert ("memcmp" in got["ntoskrnl.exe"]) == (arch != "i386")
    for dll, names in got.items():
        assert names <= allowed.get(dll, set()), (dll, names - allowed.get(dll, set()))
    for dll, names in required.items():
        assert names <= got.get(dll, set()), (dll, names - got.get(dll, set()))
    assert importtable.too_new(table, a) == []
    # What the glue stands on: device, cancel-safe queue, no-execute mappings, both data paths.
    assert {"NdisRegisterDeviceEx", "NdisMIndicateReceiveNetBufferLists"} <= got["ndis.sys"]
    assert {"IoCsqInsertIrpEx", "MmMapLockedPagesSpecifyCache"} <= got["ntoskrnl.exe"]
    # No C runtime and no SEH machinery (handlers, setjmp) is imported.
    names = set().union(*got.values())
    assert not {
        n for n in names if re.match(r"_except_handler|__C_specific|__Cxx|_?setjmp|longjmp", n)
    }


X86_FP = re.compile(r"%(x|y|z)mm\d+|%mm\d\b|%st\b|%st\(")
X87_MNEMONIC = re.compile(
    r"f(ld|st|ild|ist|add|sub|mul|div|com|ucom|chs|abs|sqrt|xch|n?stcw|ldcw|n?stsw|n?init|wait"
    r"|xsave|xrstor|n?save|rstor|free|prem|scale|rndint|cos|sin|tan|atan|2xm1|yl2x)\w*$"
    r"|^(ld|st)mxcsr$|^emms$"
)
ARM64_FP = re.compile(r"\b(v\d{1,2}\.|[qdshb](\d|[12]\d|3[01])\b)|\bfp(cr|sr)\b")


@pytest.mark.tool(OBJDUMP)
@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_no_floating_point_or_simd_instruction(release_tree: Path, arch: str) -> None:
    """Kernel code on i386 must save the FPU before touching it; the driver never does."""
    bad = []
    for mnemonic, operands in disassembly(image(release_tree, arch)):
        if arch == "arm64":
            if ARM64_FP.search(operands) or mnemonic.startswith(("fmov", "fadd", "scvtf")):
                bad.append(f"{mnemonic} {operands}")
        elif X86_FP.search(operands) or X87_MNEMONIC.search(mnemonic):
            bad.append(f"{mnemonic} {operands}")
    assert bad == []


@pytest.mark.tool(OBJDUMP)
def test_no_seh_frames_on_i386(release_tree: Path) -> None:
    """i386 SEH links frames through fs:[0]; the driver has none."""
    code = disassembly(image(release_tree, "i386"))
    assert [f"{m} {o}" for m, o in code if "%fs:" in o] == []


def test_amd64_unwind_data_without_handlers(release_tree: Path) -> None:
    pe = pefile.PE(str(image(release_tree, "amd64")))
    functions = getattr(pe, "DIRECTORY_ENTRY_EXCEPTION", [])
    assert len(functions) > 20, "no unwind data (.pdata)"
    for f in functions:
        assert f.unwindinfo is not None
        assert f.unwindinfo.Flags & (UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER) == 0


def test_arm64_unwind_data_without_handlers(release_tree: Path) -> None:
    pe = pefile.PE(str(image(release_tree, "arm64")))
    rva, size = (pe.OPTIONAL_HEADER.DATA_DIRECTORY[3].VirtualAddress,
                 pe.OPTIONAL_HEADER.DATA_DIRECTORY[3].Size)  # fmt: skip
    assert size >= 8 * 20, "no unwind data (.pdata)"
    data = pe.get_data(rva, size)
    for begin, unwind in struct.iter_unpack("<II", data):
        assert begin != 0
        if unwind & 3 == 0:  # a full .xdata record: bit 20 (X) says an exception handler follows
            header = pe.get_dword_at_rva(unwind)
            assert header >> 20 & 1 == 0, hex(begin)


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_sections(release_tree: Path, arch: str) -> None:
    pe = pefile.PE(str(image(release_tree, arch)), fast_load=True)
    names = [s.Name.rstrip(b"\0").decode() for s in pe.sections]
    assert ".text" in names and ".reloc" in names
    for s in pe.sections:
        if s.Name.rstrip(b"\0") == b"INIT":  # one-time code must go after DriverEntry
            assert s.Characteristics & SCN_MEM_DISCARDABLE
    assert (".pdata" in names) == (arch != "i386")
