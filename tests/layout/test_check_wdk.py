"""check_wdk.py (Windows CI): its clang-cl command lines and how it finds WDK and compiler.

The script itself runs on Windows (.github/workflows/windows.yml); the probe it compiles is the
one test_layout.py builds with zig here.
"""

from __future__ import annotations

from pathlib import Path

import check_wdk
import pytest
from tapbuild.errors import TapError


@pytest.mark.parametrize(
    ("arch", "target", "define", "winnt", "ntddi"),
    [
        ("i386", "i686-pc-windows-msvc", "_X86_", "0x0601", "0x06010000"),
        ("amd64", "x86_64-pc-windows-msvc", "_AMD64_", "0x0601", "0x06010000"),
        ("arm64", "aarch64-pc-windows-msvc", "_ARM64_", "0x0A00", "0x0A000000"),
    ],
)
def test_command_line(arch: str, target: str, define: str, winnt: str, ntddi: str) -> None:
    kit = Path("K")
    cmd = check_wdk.clang_cl_command(arch, Path("clang-cl"), kit, Path("p.c"), Path("p.obj"))
    decl = Path(check_wdk.__file__).resolve().parents[2] / "driver" / "decl"
    assert cmd == [
        "clang-cl",
        f"--target={target}",
        "/nologo",
        "/c",
        "/kernel",
        "/W0",
        f"/D{define}=1",
        f"/D_WIN32_WINNT={winnt}",
        f"/DNTDDI_VERSION={ntddi}",
        f"/I{decl}",
        f"/I{kit / 'km'}",
        f"/I{kit / 'shared'}",
        f"/I{kit / 'km' / 'crt'}",
        "/Fop.obj",
        "p.c",
    ]


def _kit(root: Path, version: str) -> Path:
    inc = root / "Include" / version
    (inc / "km").mkdir(parents=True)
    (inc / "km" / "ndis.h").write_text("")
    return inc


def test_kit_from_the_developer_prompt_environment(tmp_path: Path) -> None:
    inc = _kit(tmp_path, "10.0.22621.0")
    env = {"WindowsSdkDir": str(tmp_path), "WindowsSDKVersion": "10.0.22621.0\\"}
    assert check_wdk.find_kit_include(None, env) == inc


def test_kit_given_without_wdk_headers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TapError, match=r"no WDK headers \(km/ndis.h\) found") as exc:
        check_wdk.find_kit_include(tmp_path, {})
    assert "\n" not in str(exc.value)


def test_missing_clang_cl_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TapError, match="clang-cl: not found"):
        check_wdk.find_clang_cl(tmp_path / "clang-cl.exe")


def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_wdk.main(["--kit-include", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("check_wdk: ") and "\n" not in err
    assert check_wdk.main(["--arch", "mips"]) == 2
    assert "unknown architecture 'mips'" in capsys.readouterr().err


@pytest.mark.parametrize(("arch", "slots"), [("i386", 21), ("amd64", 24), ("arm64", 21)])
def test_constants_probe_for_the_wdk(arch: str, slots: int) -> None:
    """The Windows workflow also compiles the constants probe against the WDK: every value
    and array length of wdk/constants.json and wdk/arrays.json for the arch."""
    source = check_wdk.constants_probe(arch)
    assert '#include "tapkernel.h"' in source
    assert f'"MaxNetBufferListInfo: expected {slots}"' in source
    assert f'"NET_BUFFER_LIST.NetBufferListInfo: expected array length {slots}"' in source
    assert '"NDIS_STATUS_INDICATION_FLAGS_MEDIA_CONNECT_TO_CONNECT: expected 4096"' in source
    assert '"NdisHaltDeviceInstanceDeInitialized: expected 1"' in source
