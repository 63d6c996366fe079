"""nox -s extract: real zips overlaid onto dist/, the old dist kept as dist.<unix time>;
hostile zips refused before anything is written; a missing, unsigned or damaged
tapinstall.exe fails with one line and leaves dist/ as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reltest_util import error_lines, tree, write_symlink_zip, write_zip
from tapbuild.errors import TapError
from tapbuild.release import attestation
from tapbuild.sign.testcert import CertFiles

NOW = 1_790_000_000
DRIVER = {"OemVista.inf": b"; signed inf\r\n", "tap0901.sys": b"MZ signed sys", "tap0901.cat": b"0"}


def _drivers(arch: str, extra: dict[str, bytes] | None = None) -> list[tuple[str, bytes | None]]:
    files = {**DRIVER, **(extra or {})}
    return [("drivers/", None), (f"drivers/{arch}/", None)] + [
        (f"drivers/{arch}/{n}", d + arch.encode()) for n, d in files.items()
    ]


@pytest.fixture
def signed_dist(make_dist, signed_exes: dict[str, Path]) -> Path:
    """A cross-signed dist/: the zig PEs with tapinstall.exe signed by the test certificate."""
    dist = make_dist(("i386", "amd64", "arm64"))
    for arch, exe in signed_exes.items():
        shutil.copy(exe, dist / arch / "tapinstall.exe")
    return dist


def _snapshot(root: Path) -> dict[str, dict[str, bytes | None]]:
    """Everything under ``root`` (the parent of dist/): dist/, backups, temporary folders."""
    return {p.name: tree(p) for p in sorted(root.iterdir())} | {
        "": {p.name: None for p in root.iterdir()}
    }


@pytest.mark.tool("osslsigncode")
def test_overlay_keeps_other_files_and_backs_up(
    signed_dist: Path, tmp_path: Path, test_cert: CertFiles
) -> None:
    before = tree(signed_dist)
    zips = [
        write_zip(tmp_path / "amd64.zip", _drivers("amd64")),
        write_zip(tmp_path / "i386.zip", _drivers("i386", {"extra.txt": b"new file "})),
    ]
    backup = attestation.extract(zips, signed_dist, [test_cert.pem], now=NOW)
    assert backup == signed_dist.parent / f"dist.{NOW}"
    assert tree(backup) == before  # the cross-signed dist, byte for byte
    after = tree(signed_dist)
    for arch in ("amd64", "i386"):
        for name, data in DRIVER.items():
            assert after[f"{arch}/{name}"] == data + arch.encode()
        assert after[f"{arch}/tapinstall.exe"] == before[f"{arch}/tapinstall.exe"]  # kept
    assert after["i386/extra.txt"] == b"new file i386"
    assert after["arm64/tap0901.sys"] == before["arm64/tap0901.sys"]  # no zip for arm64
    assert after["include/tap-windows.h"] == before["include/tap-windows.h"]
    # the zip's dates, taken as UTC, so an extraction is reproducible
    assert (signed_dist / "amd64" / "tap0901.sys").stat().st_mtime == 1_790_510_400
    # the next run in the same second gets the next free name
    again = attestation.extract(zips[:1], signed_dist, [test_cert.pem], now=NOW)
    assert again == signed_dist.parent / f"dist.{NOW + 1}"


@pytest.mark.tool("osslsigncode")
def test_zips_may_carry_tapinstall_and_dist_may_be_absent(
    tmp_path: Path, signed_exes: dict[str, Path], test_cert: CertFiles
) -> None:
    exe = signed_exes["arm64"].read_bytes()
    z = write_zip(
        tmp_path / "arm64.zip", [*_drivers("arm64"), ("drivers/arm64/tapinstall.exe", exe)]
    )
    dist = tmp_path / "dist"
    assert attestation.extract([z], dist, [test_cert.pem]) is None
    assert tree(dist) == {
        "arm64": None,
        **{f"arm64/{n}": d + b"arm64" for n, d in DRIVER.items()},
        "arm64/tapinstall.exe": exe,
    }


HOSTILE = {
    "absolute": [("/tmp/evil.sys", b"x")],
    "absolute-backslash": [("\\Windows\\evil.sys", b"x")],
    "dotdot": [("drivers/../../evil.sys", b"x")],
    "dotdot-inside": [("drivers/amd64/../../../evil.sys", b"x")],
    "drive-letter": [("C:/evil.sys", b"x")],
    "drive-letter-relative": [("C:evil.sys", b"x")],
    "backslash-traversal": [("drivers\\..\\..\\evil.sys", b"x")],
    "stream": [("drivers/amd64/tap0901.sys:hidden", b"x")],
    "control-char": [("drivers/amd64/a\x07b.sys", b"x")],
    # Names Windows cannot create, or would take for another name (issue 16, item 9).
    "reserved-con": [("drivers/amd64/CON", b"x")],
    "reserved-lower-with-extension": [("drivers/amd64/nul.txt", b"x")],
    "reserved-com": [("drivers/amd64/Com1.sys", b"x")],
    "reserved-lpt-folder": [("drivers/LPT9/x.sys", b"x")],
    "reserved-superscript": [("drivers/amd64/COM\u00b9", b"x")],
    "reserved-console": [("drivers/amd64/conout$", b"x")],
    "reserved-space-before-extension": [("drivers/amd64/AUX .txt", b"x")],
    "trailing-dot-aliases-the-driver": [("drivers/amd64/tap0901.sys.", b"evil")],
    "trailing-space": [("drivers/amd64/tap0901.sys ", b"evil")],
    "trailing-dots-and-spaces-folder": [("drivers/amd64. ./tap0901.sys", b"evil")],
}


@pytest.mark.parametrize("kind", [*HOSTILE, "symlink", "symlink-outside-drivers", "second-zip"])
def test_hostile_zips_write_nothing(
    signed_dist: Path, tmp_path: Path, test_cert: CertFiles, kind: str
) -> None:
    good = _drivers("amd64")
    zips_dir = tmp_path / "zips"
    zips_dir.mkdir()
    if kind == "symlink":
        zips = [
            write_symlink_zip(
                zips_dir / "z.zip", "drivers/amd64/tap0901.sys", "/etc/passwd", good[:3]
            )
        ]
    elif kind == "symlink-outside-drivers":
        zips = [write_symlink_zip(zips_dir / "z.zip", "link", "../../..", good)]
    elif kind == "second-zip":
        zips = [
            write_zip(zips_dir / "a.zip", good),
            write_zip(zips_dir / "b.zip", [*_drivers("i386"), ("drivers/../x", b"x")]),
        ]
    else:
        zips = [write_zip(zips_dir / "z.zip", good + HOSTILE[kind])]
    parent = signed_dist.parent
    before = _snapshot(parent)
    with pytest.raises(TapError) as exc:
        attestation.extract(zips, signed_dist, [test_cert.pem], now=NOW)
    message = str(exc.value)
    assert "\n" not in message
    assert "nothing was extracted" in message
    assert str(zips[-1]) in message
    assert _snapshot(parent) == before  # dist/, no dist.<time>, no temporary folder
    assert not (Path("/tmp") / "evil.sys").exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("readme.txt", b"x")], "no drivers/ folder"),
        ([("drivers/", None)], "drivers/ folder holds no files"),
        ([("drivers/", None), ("drivers/amd64/", None)], "drivers/ folder holds no files"),
        ([("drivers/amd64/x.sys", b"1"), ("drivers/AMD64/X.SYS", b"2")], "appears twice"),
        ([("drivers/amd64/\u00e9.sys", b"1"), ("drivers/amd64/\u00c9.SYS", b"2")], "twice"),
        ([("drivers/amd64", b"file"), ("drivers/amd64/x.sys", b"1")], "needs a folder"),
    ],
)
def test_malformed_zips(signed_dist: Path, tmp_path: Path, entries, message: str) -> None:
    z = write_zip(tmp_path / "m.zip", entries)
    before = _snapshot(signed_dist.parent)
    with pytest.raises(TapError, match=message):
        attestation.extract([z], signed_dist)
    assert _snapshot(signed_dist.parent) == before


@pytest.mark.tool("osslsigncode")
def test_an_empty_drivers_folder_is_refused(
    signed_dist: Path, tmp_path: Path, test_cert: CertFiles
) -> None:
    """With a trusted tapinstall.exe everywhere, a zip bringing no file at all would
    otherwise "succeed" and leave a backup of an unchanged dist/."""
    z = write_zip(tmp_path / "empty.zip", [("drivers/", None)])
    before = _snapshot(signed_dist.parent)
    with pytest.raises(TapError) as exc:
        attestation.extract([z], signed_dist, [test_cert.pem], now=NOW)
    assert str(exc.value) == (
        f"{z}: its drivers/ folder holds no files; expected a zip of attestation-signed "
        "drivers downloaded from Partner Center; nothing was extracted"
    )
    assert _snapshot(signed_dist.parent) == before  # no dist.<time>


def test_names_that_only_look_reserved_are_accepted() -> None:
    """Windows reserves the device names themselves, not names that merely start alike."""
    for name in ("drivers/amd64/CONSOLE.sys", "drivers/amd64/com10", "drivers/amd64/nul_x",
                 "drivers/amd64/LPT", "drivers/amd64/x.con", "drivers/amd64/.aux"):  # fmt: skip
        assert attestation.entry_parts(name)[-1] == name.rsplit("/", 1)[1]


def test_not_a_zip_and_no_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"MSCF not a zip")
    with pytest.raises(TapError, match="not a readable zip file"):
        attestation.extract([fake], tmp_path / "dist")
    with pytest.raises(TapError, match="no such file"):
        attestation.extract([tmp_path / "missing.zip"], tmp_path / "dist")
    with pytest.raises(TapError, match="no zip given"):
        attestation.extract([], tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_a_file_in_dist_where_a_folder_goes(signed_dist: Path, tmp_path: Path) -> None:
    (signed_dist / "notes").write_text("a file")
    z = write_zip(tmp_path / "z.zip", [("drivers/notes/x.txt", b"x")])
    with pytest.raises(TapError, match=r"a file where .* needs a folder"):
        attestation.extract([z], signed_dist)


@pytest.mark.tool("osslsigncode")
@pytest.mark.parametrize("problem", ["missing", "unsigned", "tampered", "untrusted"])
def test_tapinstall_must_be_there_and_validly_signed(
    signed_dist: Path, tmp_path: Path, test_cert: CertFiles, pe_files, problem: str
) -> None:
    exe = signed_dist / "amd64" / "tapinstall.exe"
    ca = [test_cert.pem]
    if problem == "missing":
        exe.unlink()
    elif problem == "unsigned":
        shutil.copy(pe_files[("amd64", "exe")], exe)
    elif problem == "tampered":
        data = bytearray(exe.read_bytes())
        data[0x200] ^= 0xFF  # inside the code, covered by the signature
        exe.write_bytes(bytes(data))
    else:
        ca = []  # the test certificate is nobody's root
    z = write_zip(tmp_path / "z.zip", _drivers("amd64"))
    before = _snapshot(signed_dist.parent)
    with pytest.raises(TapError) as exc:
        attestation.extract([z], signed_dist, ca, now=NOW)
    message = str(exc.value)
    assert "\n" not in message
    if problem == "untrusted":  # every arch's, i386 first
        assert message.startswith("i386/tapinstall.exe: ") and "(and 2 more)" in message
        assert "not trusted" in message
    else:
        assert message.startswith("amd64/tapinstall.exe: ")
    assert "every architecture folder needs a tapinstall.exe with a valid signature" in message
    assert {"missing": "missing", "unsigned": "not signed"}.get(problem, "") in message
    assert _snapshot(signed_dist.parent) == before  # dist/ as it was, no backup


@pytest.mark.tool("osslsigncode")
def test_nox_session(signed_dist: Path, tmp_path: Path, test_cert: CertFiles, nox_run) -> None:
    z = write_zip(tmp_path / "amd64.zip", _drivers("amd64"))
    res = nox_run("extract", str(z), "--dist", str(signed_dist), "--ca", str(test_cert.pem))
    assert res.returncode == 0, res.stderr
    assert "previous dist kept as" in res.stderr
    assert (signed_dist / "amd64" / "tap0901.sys").read_bytes() == b"MZ signed sysamd64"
    assert len(list(signed_dist.parent.glob("dist.*"))) == 1

    hostile = write_zip(tmp_path / "bad.zip", [("drivers\\..\\..\\evil", b"x")])
    bad = nox_run("extract", str(hostile), "--dist", str(signed_dist))
    assert bad.returncode != 0
    [line] = error_lines(bad.stderr)
    assert "climbs out with '..'" in line and "nothing was extracted" in line

    (signed_dist / "i386" / "tapinstall.exe").unlink()
    missing = nox_run("extract", str(z), "--dist", str(signed_dist), "--ca", str(test_cert.pem))
    assert missing.returncode != 0
    [line] = error_lines(missing.stderr)
    assert "i386/tapinstall.exe: missing" in line
