"""Product metadata: version.py plus an optional override module, validated.

``load()`` returns a :class:`Product`. Every failure names the file and line and says what
is accepted: an unknown name, a wrong type, a bad value, a syntax error.
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tapbuild.errors import TapError
from tapbuild.paths import ROOT

VERSION_FILE = ROOT / "version.py"

_INF_TEXT = re.compile(r'^[^"%\r\n\x00]{1,200}$')
_FIELD_RULES: dict[str, tuple[type, str, Any]] = {
    # name: (type, description of accepted values, validator)
    "PRODUCT_NAME": (str, "1-200 characters without quotes, % or line breaks", _INF_TEXT.match),
    "PRODUCT_PACKAGE_NAME": (
        str,
        "a file-name stem of letters, digits, '.', '_' or '-' (1-64)",
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$").match,
    ),
    "PRODUCT_PUBLISHER": (
        str,
        "1-200 characters without quotes, % or line breaks",
        _INF_TEXT.match,
    ),
    "PRODUCT_VERSION": (
        str,
        "a dotted version such as 9.27.0 (2-4 numbers)",
        re.compile(r"^\d{1,5}(\.\d{1,5}){1,3}$").match,
    ),
    "PRODUCT_TAP_WIN_COMPONENT_ID": (
        str,
        "a valid INF/service name: a letter, then letters, digits or '_' (1-32)",
        re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$").match,
    ),
    "PRODUCT_TAP_WIN_MAJOR": (int, "an integer 0-65535", lambda v: 0 <= v <= 0xFFFF),
    "PRODUCT_TAP_WIN_MINOR": (int, "an integer 0-65535", lambda v: 0 <= v <= 0xFFFF),
    "PRODUCT_TAP_WIN_REVISION": (int, "an integer 0-65535", lambda v: 0 <= v <= 0xFFFF),
    "PRODUCT_TAP_WIN_BUILD": (int, "an integer 0-65535", lambda v: 0 <= v <= 0xFFFF),
    "PRODUCT_TAP_WIN_PROVIDER": (
        str,
        "1-200 characters without quotes, % or line breaks",
        _INF_TEXT.match,
    ),
    "PRODUCT_TAP_WIN_CHARACTERISTICS": (
        int,
        "an integer 0-0xFFFF (NCF_* flags)",
        lambda v: 0 <= v <= 0xFFFF,
    ),
    "PRODUCT_TAP_WIN_DEVICE_DESCRIPTION": (
        str,
        "1-200 characters without quotes, % or line breaks",
        _INF_TEXT.match,
    ),
    "PRODUCT_TAP_WIN_RELDATE": (str, "a date MM/DD/YYYY", lambda v: _valid_date(v)),
}
NAMES = tuple(_FIELD_RULES)


def _valid_date(value: str) -> bool:
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", value):
        return False
    try:
        datetime.datetime.strptime(value, "%m/%d/%Y")
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Product:
    PRODUCT_NAME: str
    PRODUCT_PACKAGE_NAME: str
    PRODUCT_PUBLISHER: str
    PRODUCT_VERSION: str
    PRODUCT_TAP_WIN_COMPONENT_ID: str
    PRODUCT_TAP_WIN_MAJOR: int
    PRODUCT_TAP_WIN_MINOR: int
    PRODUCT_TAP_WIN_REVISION: int
    PRODUCT_TAP_WIN_BUILD: int
    PRODUCT_TAP_WIN_PROVIDER: str
    PRODUCT_TAP_WIN_CHARACTERISTICS: int
    PRODUCT_TAP_WIN_DEVICE_DESCRIPTION: str
    PRODUCT_TAP_WIN_RELDATE: str

    @property
    def component_id(self) -> str:
        return self.PRODUCT_TAP_WIN_COMPONENT_ID

    @property
    def sys_name(self) -> str:
        return f"{self.component_id}.sys"

    @property
    def cat_name(self) -> str:
        return f"{self.component_id}.cat"

    @property
    def file_version(self) -> tuple[int, int, int, int]:
        """The four-part version of the driver and the resources (derived)."""
        return (
            self.PRODUCT_TAP_WIN_MAJOR,
            self.PRODUCT_TAP_WIN_MINOR,
            self.PRODUCT_TAP_WIN_REVISION,
            self.PRODUCT_TAP_WIN_BUILD,
        )

    @property
    def driver_version(self) -> str:
        return ".".join(str(n) for n in self.file_version)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read_module(path: Path) -> dict[str, tuple[Any, int]]:
    """Execute a constants module; return UPPER_CASE name -> (value, line of assignment)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TapError(
            f"{path}: no such file; override= expects a Python file of constants"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TapError(
            f"{path}: cannot read ({exc.__class__.__name__}); expected UTF-8 Python"
        ) from None
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise TapError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Name):
                lines[t.id] = t.lineno
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": "tap_version_override"}
    try:
        exec(compile(tree, str(path), "exec"), namespace)
    except Exception as exc:
        lineno = _traceback_line(exc, str(path))
        raise TapError(f"{path}:{lineno}: {exc.__class__.__name__}: {exc}") from None
    out: dict[str, tuple[Any, int]] = {}
    for name, value in namespace.items():
        if name.isupper() and not name.startswith("_"):
            out[name] = (value, lines.get(name, 1))
    return out


def _traceback_line(exc: BaseException, filename: str) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _check(path: Path, values: dict[str, tuple[Any, int]]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, (value, line) in sorted(values.items(), key=lambda kv: kv[1][1]):
        rule = _FIELD_RULES.get(name)
        if rule is None:
            raise TapError(f"{path}:{line}: unknown name {name}; accepted: {', '.join(NAMES)}")
        typ, accepted, valid = rule
        if type(value) is not typ:
            raise TapError(
                f"{path}:{line}: {name} must be {typ.__name__}, got {type(value).__name__}; "
                f"accepted: {accepted}"
            )
        if not valid(value):
            raise TapError(f"{path}:{line}: {name} = {value!r} is not valid; accepted: {accepted}")
        checked[name] = value
    return checked


def load(override: str | Path | None = None, *, base: Path = VERSION_FILE) -> Product:
    """version.py, with the names an override module sets taking precedence."""
    values = _check(base, _read_module(base))
    missing = [n for n in NAMES if n not in values]
    if missing:
        raise TapError(f"{base}: missing {', '.join(missing)}")
    if override:
        values.update(_check(Path(override), _read_module(Path(override))))
    return Product(**values)
