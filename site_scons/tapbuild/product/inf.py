"""OemVista.inf from its template: ``@NAME@`` substitution and stampinf's semantics.

stampinf's part, done in Python on every host: ``DriverVer`` in [Version] becomes
``<RELDATE>,<MAJOR.MINOR.REVISION.BUILD>`` and ``$ARCH$`` the INF platform name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tapbuild.arch import Arch
from tapbuild.errors import TapError
from tapbuild.product.versioninfo import Product

_PLACEHOLDER = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)@")
_DRIVERVER = re.compile(r"^(DriverVer[ \t]*=).*$", re.MULTILINE)


def substitute(template: str, values: Mapping[str, object], source: str = "template") -> str:
    """Replace every ``@NAME@``; an unknown name is an error naming the line."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            line = template.count("\n", 0, m.start()) + 1
            raise TapError(
                f"{source}:{line}: unknown placeholder @{name}@; accepted: "
                + ", ".join(f"@{n}@" for n in sorted(values))
            )
        value = values[name]
        if isinstance(value, int) and name.endswith("CHARACTERISTICS"):
            return f"0x{value:X}"
        return str(value)

    return _PLACEHOLDER.sub(repl, template)


def used_fields(template: str) -> list[str]:
    """The version.py names a template uses, with those stampinf adds (sorted)."""
    stamped = {"PRODUCT_TAP_WIN_RELDATE", "PRODUCT_TAP_WIN_MAJOR", "PRODUCT_TAP_WIN_MINOR"}
    stamped |= {"PRODUCT_TAP_WIN_REVISION", "PRODUCT_TAP_WIN_BUILD"}
    return sorted(stamped | set(_PLACEHOLDER.findall(template)))


def stamp(text: str, product: Product, arch: Arch) -> str:
    """stampinf: set DriverVer and the architecture decoration."""
    text, n = _DRIVERVER.subn(
        rf"\g<1> {product.PRODUCT_TAP_WIN_RELDATE},{product.driver_version}", text, count=1
    )
    if n != 1:
        raise TapError("INF template: no 'DriverVer =' line in [Version]; add one for stampinf")
    return text.replace("$ARCH$", arch.inf_decoration)


def render(template: str, product: Product, arch: Arch, source: str = "OemVista.inf.in") -> bytes:
    """The finished INF for one arch, with CRLF line ends as Windows tools expect."""
    text = stamp(substitute(template, product.as_dict(), source), product, arch)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
