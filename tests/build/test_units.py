"""Pure functions of the build: import decorations, INF identity, tarball determinism."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from tapbuild.formats import tarball
from tapbuild.product import inf, versioninfo
from tapbuild.build import options
from tapbuild.arch import ARCHES, parse_arches
from tapbuild.errors import TapError
from tapbuild.build.imports import Import, def_text

ROOT = Path(__file__).resolve().parents[2]


def test_def_decorations_per_arch() -> None:
    table = [
        Import("ntoskrnl.exe", "RtlInitUnicodeString", "stdcall", 8),
        Import("ntoskrnl.exe", "IofCompleteRequest", "fastcall", 8),
        Import("ntoskrnl.exe", "DbgPrintEx", "cdecl"),
        Import("hal.dll", "KfAcquireSpinLock", "fastcall", 4, arches=("i386",)),
    ]
    assert def_text(table, ARCHES["i386"], "ntoskrnl.exe") == (
        "LIBRARY ntoskrnl.exe\nEXPORTS\n@IofCompleteRequest@8\nDbgPrintEx\nRtlInitUnicodeString@8\n"
    )
    assert def_text(table, ARCHES["amd64"], "ntoskrnl.exe") == (
        "LIBRARY ntoskrnl.exe\nEXPORTS\nDbgPrintEx\nIofCompleteRequest\nRtlInitUnicodeString\n"
    )
    assert def_text(table, ARCHES["arm64"], "hal.dll") == "LIBRARY hal.dll\nEXPORTS\n"
    assert def_text(table, ARCHES["i386"], "hal.dll").endswith("@KfAcquireSpinLock@4\n")


def test_bad_import_entries() -> None:
    with pytest.raises(TapError, match="calling convention 'pascal'"):
        Import("ntoskrnl.exe", "X", "pascal")
    with pytest.raises(TapError, match="unknown arch 'ia64'"):
        Import("ntoskrnl.exe", "X", arches=("ia64",))


def test_arch_aliases() -> None:
    assert [a.name for a in parse_arches("x64,aarch64")] == ["amd64", "arm64"]
    assert [a.name for a in parse_arches("all")] == ["i386", "amd64", "arm64"]
    assert [a.name for a in parse_arches("arm64, X86 ,amd64,x86")] == ["i386", "amd64", "arm64"]


def test_toolchain_default() -> None:
    ewdk = str(ROOT)
    assert options.parse({}, environ={}, platform="linux").toolchain == "zig"
    assert options.parse({}, environ={"TAP_EWDK": ewdk}, platform="linux").toolchain == "zig"
    assert options.parse({}, environ={"TAP_EWDK": ewdk}, platform="win32").toolchain == "ewdk"
    assert options.parse({}, environ={}, platform="win32").toolchain == "zig"
    assert options.parse({"ewdk": ewdk}, environ={}, platform="win32").toolchain == "ewdk"


def test_a_stale_tap_ewdk_matters_only_to_ewdk_builds() -> None:
    stale = {"TAP_EWDK": "/no/such/ewdk"}
    assert options.parse({}, environ=stale, platform="linux").toolchain == "zig"
    assert options.parse({"toolchain": "zig"}, environ=stale, platform="win32").ewdk is None
    for args, platform in (({"toolchain": "ewdk"}, "linux"), ({}, "win32")):
        with pytest.raises(TapError, match=r"^TAP_EWDK=/no/such/ewdk: no such directory"):
            options.parse(args, environ=stale, platform=platform)


def sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip() if not raw.lstrip().startswith("HKR") else raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            out[current] = []
        elif line and current:
            out[current].append(line)
    return out


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_inf_identity(arch: str) -> None:
    """The INF meets "Identity" of the driver interface."""
    product = versioninfo.load()
    text = inf.render(
        (ROOT / "driver" / "OemVista.inf.in").read_text(), product, ARCHES[arch]
    ).decode()
    s = sections(text)
    version = dict(line.split("=", 1) for line in s["Version"])
    version = {k.strip(): v.strip() for k, v in version.items()}
    assert version["Class"] == "Net"
    assert version["ClassGUID"] == "{4d36e972-e325-11ce-bfc1-08002be10318}"
    assert version["CatalogFile"] == "tap0901.cat"
    assert version["DriverVer"] == "09/27/2026,9.27.0.0"
    decoration = {"i386": "x86", "amd64": "amd64", "arm64": "arm64"}[arch]
    models = s[f"TapModels.NT{decoration}"]
    assert [m.split(",")[1].strip() for m in models] == ["root\\tap0901", "tap0901"]
    install = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in s["TapInstall"])}
    assert install["Characteristics"] == "0x1"
    assert (install["*IfType"], install["*MediaType"], install["*PhysicalMediaType"]) == (
        "53",
        "0",
        "0",
    )
    service = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in s["TapService"])}
    assert (service["ServiceType"], service["StartType"], service["ErrorControl"]) == (
        "1",
        "3",
        "1",
    )
    assert service["LoadOrderGroup"] == "NDIS"
    assert service["ServiceBinary"] == "%12%\\tap0901.sys"
    ndi = " ".join(s["TapNdi"])
    assert 'UpperRange,   0, "ndis5"' in ndi and 'LowerRange,   0, "ethernet"' in ndi
    assert (
        'Manufacturer, 0, "%Provider%"' in ndi and 'ProductName,  0, "%DeviceDescription%"' in ndi
    )
    params = "\n".join(s["TapParameters"])
    for expected in [
        'MTU,                 Type,      0, "int"', 'MTU,                 Default,   0, "1500"',
        'MTU,                 Min,       0, "100"', 'MTU,                 Max,       0, "1500"',
        'MediaStatus,         Type,      0, "enum"', 'MediaStatus\\enum,    "0",       0, %MediaApplication%',
        'MediaStatus\\enum,    "1",       0, %MediaAlways%', 'NetworkAddress,      Type,      0, "edit"',
        'NetworkAddress,      Optional,  0, "1"', 'AllowNonAdmin,       Default,   0, "1"',
    ]:  # fmt: skip
        assert expected in params, expected
    assert s["TapLegacy"] == ["HKR, Ndi\\params\\MAC"]
    strings = "\n".join(s["Strings"])
    assert 'DeviceDescription = "TAP-Windows Adapter V9"' in strings
    assert 'Provider          = "TAP-Windows Provider V9"' in strings
    assert '"Application Controlled"' in strings and '"Always Connected"' in strings


def test_inf_unknown_placeholder() -> None:
    with pytest.raises(
        TapError, match=r"^x\.inf\.in:2: unknown placeholder @PRODUCT_COLOUR@; accepted: "
    ):
        inf.render(
            "[Version]\nA=@PRODUCT_COLOUR@\nDriverVer =\n",
            versioninfo.load(),
            ARCHES["i386"],
            "x.inf.in",
        )
    with pytest.raises(TapError, match="no 'DriverVer ='"):
        inf.render("[Version]\n", versioninfo.load(), ARCHES["i386"])


def test_tarball_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    members = [("top/x/b.txt", tmp_path / "b.txt"), ("top/a.txt", tmp_path / "a.txt")]
    tarball.write_tarball(tmp_path / "one.tar.gz", members)
    tarball.write_tarball(tmp_path / "two.tar.gz", list(reversed(members)))
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    with tarfile.open(tmp_path / "one.tar.gz") as tar:
        assert tar.getnames() == ["top", "top/x", "top/a.txt", "top/x/b.txt"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    tarball.write_tarball(tmp_path / "three.tar.gz", members)
    with tarfile.open(tmp_path / "three.tar.gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1700000000}
