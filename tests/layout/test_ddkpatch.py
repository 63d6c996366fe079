"""tapbuild.build.ddkpatch: the ARM64 overlay of zig's mingw-w64 wdm.h/ntddk.h.

Layouts on arm64 are checked by test_layout.py; here: the overlay's files, its determinism
and idempotence, that it changes nothing on x86/x64, and the one-line refusal of headers it
was not written for.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from layoutprobe import windows_defines
from tapbuild.arch import ARCHES
from tapbuild.build import ddkpatch, zig
from tapbuild.errors import TapError


def test_overlay_has_the_patched_headers_and_the_arch_header(tmp_path: Path) -> None:
    written = ddkpatch.write_overlay(zig.mingw_include(), tmp_path / "ov")
    assert [p.name for p in written] == ["wdm.h", "ntddk.h", ddkpatch.ARCH_HEADER]
    wdm = (tmp_path / "ov" / "wdm.h").read_text()
    assert f'#elif defined(_M_ARM64)\n#include "{ddkpatch.ARCH_HEADER}"' in wdm
    assert (tmp_path / "ov" / ddkpatch.ARCH_HEADER).read_bytes() == (
        ddkpatch.ARCH_HEADER_SOURCE.read_bytes()
    )
    original = (zig.mingw_include() / "ddk" / "wdm.h").read_text()
    assert "#error Unknown Architecture" in original
    assert wdm != original


def test_overlay_is_deterministic_and_not_rewritten(tmp_path: Path) -> None:
    a = ddkpatch.write_overlay(zig.mingw_include(), tmp_path / "a")
    b = ddkpatch.write_overlay(zig.mingw_include(), tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in a}
    again = ddkpatch.write_overlay(zig.mingw_include(), tmp_path / "a")
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in again} == before
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in a)


def test_a_stale_overlay_file_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "ov"
    ddkpatch.write_overlay(zig.mingw_include(), out)
    (out / "ntddk.h").write_text("stale\n")
    ddkpatch.write_overlay(zig.mingw_include(), out)
    assert "Unknown Architecture" in (out / "ntddk.h").read_text()


def _fake_mingw(tmp_path: Path, edit: tuple[str, str] | None) -> Path:
    root = tmp_path / "mingw"
    (root / "ddk").mkdir(parents=True)
    for name in ("wdm.h", "ntddk.h"):
        shutil.copyfile(zig.mingw_include() / "ddk" / name, root / "ddk" / name)
    if edit:
        path = root / "ddk" / edit[0]
        path.write_text(path.read_text().replace(edit[1], "/* changed */", 1))
    return root


@pytest.mark.parametrize(
    ("header", "text"),
    [
        ("wdm.h", "#elif defined(_M_ARM)\n#include <armddk.h>\n"),
        ("wdm.h", "!defined(_AMD64_) && !defined(_IA64_)"),
        ("ntddk.h", "#elif defined(_M_ARM)\n#else\n#error Unknown Architecture"),
    ],
)
def test_other_headers_are_refused_in_one_line(header: str, text: str, tmp_path: Path) -> None:
    mingw = _fake_mingw(tmp_path, (header, text))
    out = tmp_path / "ov"
    with pytest.raises(TapError) as exc:
        ddkpatch.write_overlay(mingw, out)
    message = str(exc.value)
    assert "\n" not in message
    assert f"ddk/{header}" in message and f"ziglang=={ddkpatch.ZIG_VERSION}" in message
    assert not out.exists()  # nothing half-written


def test_missing_headers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TapError, match=r"wdm\.h: cannot read zig's mingw-w64 kernel header"):
        ddkpatch.write_overlay(tmp_path, tmp_path / "ov")


def test_zig_version_is_the_pinned_one() -> None:
    pins = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert f'"ziglang=={ddkpatch.ZIG_VERSION}"' in pins


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["i386", "amd64"])
def test_overlay_changes_nothing_on_x86_and_x64(arch: str, tmp_path: Path) -> None:
    """The preprocessed ntddk.h is the same with and without the overlay."""
    overlay = tmp_path / "ov"
    ddkpatch.write_overlay(zig.mingw_include(), overlay)
    src = tmp_path / "t.c"
    src.write_text("#include <ntddk.h>\n")
    ddk = zig.mingw_include() / "ddk"

    def preprocess(*include: Path) -> str:
        args = [a for d in include for a in ("-I", str(d))]
        cmd = [*zig.command(), "cc", "-target", ARCHES[arch].zig_target, "-E", "-P"]
        cmd += [*windows_defines(arch), *args, str(src)]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    assert preprocess(overlay, ddk) == preprocess(ddk)


@pytest.mark.slow
def test_without_the_overlay_arm64_stops(tmp_path: Path) -> None:
    src = tmp_path / "t.c"
    src.write_text("#include <ntddk.h>\n")
    cmd = [*zig.command(), "cc", "-target", ARCHES["arm64"].zig_target, "-fsyntax-only"]
    cmd += [*windows_defines("arm64"), "-I", str(zig.mingw_include() / "ddk"), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "Unknown Architecture" in proc.stderr
