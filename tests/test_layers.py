"""The import order of tapbuild's layers: each module imports only from its own layer and the
layers before it (errors/paths < arch/atomic/... < product, formats, build < sign < package,
release < cli); nothing imports tapbuild.dev, which may import anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "site_scons" / "tapbuild"

# Top-level modules and subpackages, by layer (lower numbers come first).
LAYERS: dict[str, int] = {
    "__init__": 0,
    "errors": 0,
    "paths": 0,
    "arch": 1,
    "atomic": 1,
    "transaction": 1,
    "toolrun": 1,
    "scratch": 1,
    "product": 2,
    "formats": 2,
    "build": 2,
    "sign": 3,
    "package": 4,
    "release": 4,
    "cli": 5,
}
DEV = "dev"  # imports anything, imported by noxfile.py and the tests only


def _unit(module: str) -> str:
    """The layer unit of a dotted module name below tapbuild: the top-level module or the
    subpackage ('tapbuild.sign.signer' -> 'sign', 'tapbuild' -> '__init__')."""
    parts = module.split(".")
    assert parts[0] == "tapbuild", module
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every tapbuild module ``path`` imports (anywhere in it), with the line."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package, str(path))


def _imports_in(source: str, package: str, filename: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "tapbuild"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "tapbuild":
                continue
            if base == "tapbuild":  # from tapbuild import sign, atomic: each name is a unit
                out += [(node.lineno, f"tapbuild.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, base))
    return out


def _layer(unit: str) -> int | None:
    return LAYERS.get(unit)


def test_every_module_has_a_layer() -> None:
    units = {_unit(_name(p)) for p in _modules()}
    unknown = sorted(u for u in units if u not in LAYERS and u != DEV)
    assert not unknown, f"modules or subpackages of tapbuild in no layer: {unknown}"
    for sub in [p for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__"]:
        if any(sub.glob("*.py")):
            assert (sub / "__init__.py").is_file(), f"{sub.name}/ has no __init__.py"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _name(p))
def test_imports_follow_the_layers(path: Path) -> None:
    me = _unit(_name(path))
    if me == DEV:
        return
    mine = LAYERS[me]
    bad = []
    for line, target in _imports(path):
        unit = _unit(target)
        if unit == DEV:
            bad.append(
                f"{path.relative_to(PKG.parent)}:{line}: imports {target} (dev/ is for noxfile and tests)"
            )
            continue
        theirs = _layer(unit)
        if theirs is None:
            bad.append(f"{path.relative_to(PKG.parent)}:{line}: imports {target}, in no layer")
        elif theirs > mine:
            bad.append(
                f"{path.relative_to(PKG.parent)}:{line}: imports {target} (layer {theirs}, "
                f"{unit}) from layer {mine} ({me})"
            )
    assert not bad, "\n".join(bad)


def test_the_check_sees_a_break() -> None:
    """The check itself: an import of a later layer, written in each form, is found."""
    for source in (
        "from tapbuild.sign import signer\n",
        "from tapbuild import cli\n",
        "import tapbuild.package.nsis\n",
        "def f() -> None:\n    from ..release import submission\n",
    ):
        targets = [t for _, t in _imports_in(source, "tapbuild.formats", "probe.py")]
        assert targets, source
        assert all(LAYERS[_unit(t)] > LAYERS["formats"] for t in targets), (source, targets)
