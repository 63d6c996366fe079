"""One arch table: every per-arch fact is a field of tapbuild.arch.Arch (or derived from one), so
adding an arch is one row. No other module keeps its own mapping keyed by arch names."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from tapbuild import arch as archmod
from tapbuild.arch import ARCHES

ROOT = Path(__file__).resolve().parents[2]
NAMES = set(ARCHES)


def _arch_keyed_dicts(path: Path) -> list[int]:
    """Lines of dict literals with two or more arch names among their keys."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if len(keys & NAMES) >= 2:
                lines.append(node.lineno)
    return lines


def test_no_module_keeps_its_own_arch_table() -> None:
    modules = [*(ROOT / "site_scons").rglob("*.py"), ROOT / "driver" / "imports.py"]
    found = {
        str(p.relative_to(ROOT)): lines
        for p in modules
        if p.resolve() != Path(archmod.__file__).resolve() and (lines := _arch_keyed_dicts(p))
    }
    assert found == {}, f"per-arch dicts outside tapbuild.arch: {found}"


def test_every_row_sets_every_field() -> None:
    for arch in ARCHES.values():
        for f in dataclasses.fields(arch):
            value = getattr(arch, f.name)
            optional = ("devcon_dir", "mingw_def_dir", "mingw_predefined")  # "" or () = none
            assert value not in (None, "", ()) or f.name in optional, (arch.name, f.name)
        assert arch.bits in (32, 64) and arch.min_windows >= (6, 1)
