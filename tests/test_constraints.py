"""CI's pins (.ci/constraints.txt, exported as PIP_CONSTRAINT by .ci/run) cover every dependency
of pyproject.toml, each within the range pyproject.toml asks for."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci" / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: a constraint pins one version (==)"
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_every_dependency_is_pinned_within_its_range() -> None:
    wanted = metadata.requires("tap-windows6-build") or []  # the installed project's metadata
    assert any("extra ==" in text for text in wanted), wanted  # the test extra is there
    pins = _pins()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in .ci/constraints.txt"
        assert req.specifier.contains(pins[name]), f"{req.name}=={pins[name]} outside {text}"


def test_ci_installs_with_the_pins() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert 'export PIP_CONSTRAINT="$PWD/.ci/constraints.txt"' in run
    assert run.index("PIP_CONSTRAINT") < run.index("pip install")
