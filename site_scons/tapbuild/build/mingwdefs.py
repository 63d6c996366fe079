"""What Windows DLLs export, as mingw-w64's module-definition files in the installed ziglang say.

mingw-w64 generates its ``.def`` files from real Windows binaries (``gendef``) or writes them
from Microsoft's documentation; zig ships them in ``ziglang/lib/libc/mingw/``: per arch in
``lib32/`` (i386) and ``lib64/`` (amd64), arch-independent ones in ``lib-common/``, some of them
``*.def.in`` templates that the C preprocessor turns into a ``.def`` per arch with the macros of
``def-include/`` (``F_I386(x)``, ``F64(x)``, ...). They are evidence the project does not
control: the PE gate and the tests check every import of every image against them (i386 and
amd64; no kernel ``.def`` ships for arm64).

:func:`exports` finds the file for a DLL (arch directory first, then ``lib-common``; ``.def``
before ``.def.in``), preprocesses it (:func:`preprocess`, a small C preprocessor for what these
templates use) and parses the exports (:func:`parse_def`): the names as an image imports them
(i386 stdcall ``Name@N`` and fastcall ``@Name@N`` without their decoration, as import libraries
made with ``--kill-at`` import them; ``name == export`` aliases by the export) with the
decorated spelling of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePath

from tapbuild.build import zig
from tapbuild.arch import ARCHES, Arch
from tapbuild.errors import TapError

# The arch's own directory under ziglang/lib/libc/mingw/ (searched before lib-common/), and
# what the compiler predefines when mingw-w64 preprocesses a template for the arch: the fields
# mingw_def_dir and mingw_predefined of tapbuild.arch (arches with kernel .def files only).
ARCH_DIRS = {a.name: a.mingw_def_dir for a in ARCHES.values() if a.mingw_def_dir}

_DECORATED = re.compile(r"^@?([A-Za-z_?$][\w?$@]*?)@\d+$")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def undecorate(name: str) -> str:
    """An i386 export name without its stdcall (``Name@N``) or fastcall (``@Name@N``)
    decoration; other names unchanged."""
    m = _DECORATED.match(name)
    return m.group(1) if m else name


@dataclass(frozen=True)
class DefExports:
    """The exports of one DLL: ``names`` maps each name an image imports to its spellings in
    the file (decorated on i386; some files list a name both ways)."""

    path: Path
    library: str
    names: Mapping[str, tuple[str, ...]]


# ---- A small C preprocessor for the templates ------------------------------------------------


@dataclass(frozen=True)
class _Macro:
    params: tuple[str, ...] | None  # None: object-like
    body: str


def preprocess(
    text: str, defines: Mapping[str, str], include: Callable[[str], str], where: str = "<def>"
) -> str:
    """The text of a ``.def.in`` after ``#include "x"`` (read through ``include``), ``#define``
    (object- and function-like, with ``##``), ``#undef``, ``#if``/``#ifdef``/``#ifndef``/
    ``#elif``/``#else``/``#endif`` and ``#error``; ``//`` comments are removed. Anything else
    is an error naming the file and line, so a template this preprocessor does not understand
    is never read wrongly."""
    macros = {name: _Macro(None, value) for name, value in defines.items()}
    out: list[str] = []
    _run(text, macros, include, where, out, depth=0)
    return "\n".join(out) + "\n"


def _run(
    text: str,
    macros: dict[str, _Macro],
    include: Callable[[str], str],
    where: str,
    out: list[str],
    depth: int,
) -> None:
    if depth > 16:
        raise TapError(f"{where}: #include nested too deeply")
    # Each entry: (this branch active, some branch of the group taken, parent active).
    stack: list[tuple[bool, bool, bool]] = []
    active = True
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"//.*", "", raw).rstrip()
        stripped = line.strip()
        if not stripped.startswith("#"):
            if active and stripped:
                out.append(_expand(stripped, macros))
            continue
        directive, _, rest = stripped[1:].strip().partition(" ")
        rest = rest.strip()
        at = f"{where}:{number}"
        if directive in ("ifdef", "ifndef"):
            name = _IDENT.match(rest)
            if not name:
                raise TapError(f"{at}: #{directive} without a name")
            taken = (name.group(0) in macros) == (directive == "ifdef")
            stack.append((active and taken, taken, active))
            active = active and taken
        elif directive == "if":
            taken = _evaluate(rest, macros, at) != 0 if active else False
            stack.append((active and taken, taken, active))
            active = active and taken
        elif directive in ("elif", "else"):
            if not stack:
                raise TapError(f"{at}: #{directive} without #if")
            _, done, parent = stack.pop()
            if done:
                taken = False
            elif directive == "else":
                taken = True
            else:
                taken = parent and _evaluate(rest, macros, at) != 0
            stack.append((parent and taken, done or taken, parent))
            active = parent and taken
        elif directive == "endif":
            if not stack:
                raise TapError(f"{at}: #endif without #if")
            active = stack.pop()[2]
        elif not active:
            continue
        elif directive == "include":
            m = re.fullmatch(r'"([^"]+)"', rest)
            if not m:
                raise TapError(f'{at}: #include {rest}: accepted: #include "file"')
            _run(include(m.group(1)), macros, include, m.group(1), out, depth + 1)
        elif directive == "define":
            m = re.match(r"([A-Za-z_]\w*)(\(([^)]*)\))?\s*(.*)$", rest)
            if not m:
                raise TapError(f"{at}: #define {rest}: not a macro definition")
            params = None
            if m.group(2) is not None:
                params = tuple(p.strip() for p in m.group(3).split(",") if p.strip())
            macros[m.group(1)] = _Macro(params, m.group(4).strip())
        elif directive == "undef":
            macros.pop(rest, None)
        elif directive == "error":
            raise TapError(f"{at}: #error {rest}")
        else:
            raise TapError(f"{at}: #{directive}: not understood by tapbuild.build.mingwdefs")
    if stack:
        raise TapError(f"{where}: #if without #endif")


def _expand(text: str, macros: Mapping[str, _Macro], hidden: frozenset[str] = frozenset()) -> str:
    """Macro-expand one line (function-like macros take balanced-parenthesis arguments; a
    macro is not expanded inside its own expansion)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _IDENT.match(text, i)
        if not m or (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_@")):
            out.append(text[i])
            i += 1
            continue
        name = m.group(0)
        macro = macros.get(name)
        if macro is None or name in hidden:
            out.append(name)
            i = m.end()
            continue
        if macro.params is None:
            out.append(_expand(macro.body, macros, hidden | {name}))
            i = m.end()
            continue
        j = m.end()
        while j < len(text) and text[j] == " ":
            j += 1
        if j >= len(text) or text[j] != "(":
            out.append(name)
            i = m.end()
            continue
        args, i = _arguments(text, j)
        if len(args) == 1 and args[0] == "" and not macro.params:
            args = []
        if len(args) != len(macro.params):
            raise TapError(f"macro {name}: {len(args)} argument(s), expected {len(macro.params)}")
        values = {p: _expand(a, macros, hidden) for p, a in zip(macro.params, args, strict=True)}
        out.append(_expand(_substitute(macro.body, values), macros, hidden | {name}))
    return "".join(out)


def _substitute(body: str, values: Mapping[str, str]) -> str:
    """A function-like macro's body with its parameters replaced, ``##`` pasted."""
    body = _IDENT.sub(lambda t: values.get(t.group(0), t.group(0)), body)
    return re.sub(r"\s*##\s*", "", body)


def _arguments(text: str, start: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the parenthesis at ``start``, and the index after it."""
    depth = 0
    args: list[str] = []
    current: list[str] = []
    for i in range(start, len(text)):
        c = text[i]
        if c == "(":
            depth += 1
            if depth == 1:
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(current).strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append("".join(current).strip())
            current = []
            continue
        current.append(c)
    raise TapError(f"unbalanced parentheses in {text!r}")


_TOKEN = re.compile(r"\s*(?:(\d+)[uUlL]*|([A-Za-z_]\w*)|(&&|\|\||==|!=|<=|>=|[!<>()+\-*]))")


def _evaluate(expr: str, macros: Mapping[str, _Macro], at: str) -> int:
    """The value of an #if expression: defined(), integers, macros (undefined names are 0),
    ! * + - < > <= >= == != && || and parentheses."""
    expr = re.sub(
        r"\bdefined\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))",
        lambda m: "1" if (m.group(1) or m.group(2)) in macros else "0",
        expr,
    )
    expr = _expand(expr, macros)
    tokens: list[str | int] = []
    pos = 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise TapError(f"{at}: #if {expr}: not understood by tapbuild.build.mingwdefs")
        if m.group(1):
            tokens.append(int(m.group(1)))
        elif m.group(2):
            tokens.append(0)
        else:
            tokens.append(m.group(3))
        pos = m.end()
    value, rest = _binary(tokens, 0)
    if rest:
        raise TapError(f"{at}: #if {expr}: unexpected {rest[0]!r}")
    return value


_LEVELS: list[dict[str, Callable[[int, int], int]]] = [
    {"||": lambda a, b: int(bool(a) or bool(b))},
    {"&&": lambda a, b: int(bool(a) and bool(b))},
    {"==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b)},
    {
        "<": lambda a, b: int(a < b),
        ">": lambda a, b: int(a > b),
        "<=": lambda a, b: int(a <= b),
        ">=": lambda a, b: int(a >= b),
    },
    {"+": lambda a, b: a + b, "-": lambda a, b: a - b},
    {"*": lambda a, b: a * b},
]


def _binary(tokens: list[str | int], level: int) -> tuple[int, list[str | int]]:
    if level == len(_LEVELS):
        return _unary(tokens)
    value, rest = _binary(tokens, level + 1)
    while rest and isinstance(rest[0], str) and rest[0] in _LEVELS[level]:
        op = _LEVELS[level][rest[0]]
        right, rest = _binary(rest[1:], level + 1)
        value = op(value, right)
    return value, rest


def _unary(tokens: list[str | int]) -> tuple[int, list[str | int]]:
    if not tokens:
        raise TapError("#if: expression ends early")
    head, rest = tokens[0], tokens[1:]
    if isinstance(head, int):
        return head, rest
    if head == "!":
        value, rest = _unary(rest)
        return int(not value), rest
    if head == "-":
        value, rest = _unary(rest)
        return -value, rest
    if head == "(":
        value, rest = _binary(rest, 0)
        if not rest or rest[0] != ")":
            raise TapError("#if: missing )")
        return value, rest[1:]
    raise TapError(f"#if: unexpected {head!r}")


# ---- Parsing a module-definition file -------------------------------------------------------

_KEYWORDS = frozenset({"DATA", "PRIVATE", "NONAME", "CONSTANT"})


def parse_def(text: str, path: Path) -> DefExports:
    """The LIBRARY name and exports of a (preprocessed) ``.def``."""
    library = ""
    names: dict[str, tuple[str, ...]] = {}
    in_exports = False
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        # mingw-w64's files use two statements, LIBRARY and EXPORTS, in upper case; an export
        # may be spelled like another statement (kernel32's HeapSize).
        word = line.split()[0]
        if word == "LIBRARY":
            library = line.split(None, 1)[1].strip().strip('"') if " " in line else ""
            continue
        if word == "EXPORTS":
            in_exports = True
            continue
        if not in_exports:
            continue
        if " " not in line and "=" not in line:  # most lines: one name, nothing else
            exported = undecorate(line)
            if line not in names.get(exported, ()):
                names[exported] = (*names.get(exported, ()), line)
            continue
        spelling, alias = line, ""
        if "==" in line:
            spelling, _, alias = line.partition("==")
        spelling = spelling.split("=", 1)[0].strip()
        tokens = [t for t in spelling.split() if t.upper() not in _KEYWORDS]
        if not tokens:
            continue
        spelling = tokens[0]
        alias_tokens = [t for t in alias.split() if t.upper() not in _KEYWORDS]
        exported = alias_tokens[0] if alias_tokens else undecorate(spelling)
        if spelling not in names.get(exported, ()):
            names[exported] = (*names.get(exported, ()), spelling)
    if not library:
        raise TapError(f"{path}: no LIBRARY line; not a module-definition file")
    return DefExports(path, library, names)


# ---- Finding the files in the installed package ---------------------------------------------


def mingw_dir() -> Path:
    """ziglang/lib/libc/mingw/ of the installed package."""
    return zig.mingw_defs().parent


def has_evidence(arch: Arch) -> bool:
    """Whether mingw-w64 ships per-arch .def files for ``arch`` in the installed ziglang (False
    for arm64, and where ziglang is not installed: a Windows machine building with the EWDK)."""
    if arch.name not in ARCH_DIRS:
        return False
    try:
        return (mingw_dir() / ARCH_DIRS[arch.name]).is_dir()
    except TapError:
        return False


def evidence_signature(arch: Arch) -> str:
    """What the export evidence of ``arch`` depends on (part of the PE gate's signature)."""
    return f"mingw-w64 of ziglang {zig.version()}" if has_evidence(arch) else "none"


def find_def(arch: Arch, dll: str, root: Path | None = None) -> Path | None:
    """The .def (or .def.in) of ``dll`` for ``arch``: the arch's directory first, then
    lib-common/. None when mingw-w64 has none."""
    base = root or mingw_dir()
    stem = PurePath(dll.lower()).stem
    for folder in (ARCH_DIRS[arch.name], "lib-common"):
        for name in (f"{stem}.def", f"{stem}.def.in"):
            candidate = base / folder / name
            if candidate.is_file():
                return candidate
    return None


def read_def(path: Path, arch: Arch) -> DefExports:
    """Parse one file, preprocessing a template for ``arch`` (includes: the file's directory,
    then def-include/)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.name.endswith(".def.in"):
        dirs = [path.parent, path.parent.parent / "def-include"]

        def include(name: str) -> str:
            for d in dirs:
                if (d / name).is_file():
                    return (d / name).read_text(encoding="utf-8", errors="replace")
            raise TapError(f'{path}: #include "{name}" not found in {", ".join(map(str, dirs))}')

        text = preprocess(text, dict(arch.mingw_predefined), include, str(path))
    return parse_def(text, path)


def listed_elsewhere(dll: str, name: str) -> list[Path]:
    """Every other mingw-w64 .def of ``dll`` in the installed package (any arch directory)
    that lists ``name``: the fallback evidence for an export the arch's own file lacks."""
    stem = PurePath(dll.lower()).stem
    found = []
    for path in sorted(mingw_dir().glob(f"lib*/{stem}.def")):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            listed = parse_def(text, path)
        except TapError:
            continue
        if listed.library.lower() == dll.lower() and name in listed.names:
            found.append(path)
    return found


@cache
def exports(arch: Arch, dll: str) -> DefExports | None:
    """The exports of ``dll`` on ``arch`` per the installed ziglang's mingw-w64 files (None:
    no file for that DLL). The file's LIBRARY must name the DLL."""
    path = find_def(arch, dll)
    if path is None:
        return None
    found = read_def(path, arch)
    if found.library.lower() != dll.lower():
        raise TapError(f"{path}: LIBRARY {found.library}, expected {dll}")
    return found
