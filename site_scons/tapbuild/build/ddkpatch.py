"""ARM64 support for zig's mingw-w64 kernel headers: patched copies of wdm.h and ntddk.h.

mingw-w64's ``ddk/wdm.h`` and ``ddk/ntddk.h`` stop with ``#error Unknown Architecture`` on
aarch64. :func:`write_overlay` writes patched copies into a build directory (the overlay) that
the zig Tool puts on the include path *before* zig's ``ddk/`` directory, so that
``#include <wdm.h>`` and ``#include <ntddk.h>`` find them on every architecture (on x86 and x64
the patches change nothing). The patches:

- add an ARM64 branch to the architecture chain that includes the project's arch header
  (``ddk/arm64.h`` beside this module, written to the overlay as ``tapddk_arm64.h``);
- give ARM64 the 64-bit layouts that the headers spell as "AMD64 or IA64": no 4-byte packing
  of IO_STACK_LOCATION, no obsolete locks in the lookaside lists, the 64-bit KDEVICE_QUEUE and
  spin-lock queue numbers, the inline 64-bit large-integer helpers and the Interlocked*
  intrinsic names.

Every edit states how often its text occurs in zig's header; any other count means a zig
version whose headers this module was not written for, and fails with one line saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tapbuild import atomic
from tapbuild.errors import TapError

ARCH_HEADER = "tapddk_arm64.h"
ARCH_HEADER_SOURCE = Path(__file__).with_name("ddk") / "arm64.h"
# The zig release whose headers the edits below were written against (pyproject.toml pins it).
ZIG_VERSION = "0.17.1"

ARM64 = "defined(_ARM64_)"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new``; ``old`` must occur exactly ``count`` times."""

    old: str
    new: str
    count: int = 1


def _also_arm64(condition: str, count: int) -> Edit:
    """Extend a preprocessor condition that means "64-bit" to ARM64."""
    joiner = " && !" if condition.startswith("!") else " || "
    return Edit(condition, condition + joiner + ARM64, count)


WDM_EDITS = (
    # The architecture chain: ARM64 gets the project's arch header.
    Edit(
        "#elif defined(_M_ARM)\n#include <armddk.h>\n",
        f'#elif defined(_M_ARM64)\n#include "{ARCH_HEADER}"\n#elif defined(_M_ARM)\n'
        "#include <armddk.h>\n",
    ),
    # Lookaside lists (no obsolete lock), IO_STACK_LOCATION (no pack(4)), large-integer helpers.
    _also_arm64("!defined(_AMD64_) && !defined(_IA64_)", 5),
    # Inline large-integer multiply and ExInterlockedCompareExchange64 as an intrinsic.
    _also_arm64("defined(_AMD64_) || defined(_IA64_)", 4),
    # In-stack queued spin locks: the 64-bit queue numbers.
    Edit(
        "#if defined(_AMD64_)\n\ntypedef ULONG64 KSPIN_LOCK_QUEUE_NUMBER;",
        "#if defined(_AMD64_) || defined(_ARM64_)\n\ntypedef ULONG64 KSPIN_LOCK_QUEUE_NUMBER;",
    ),
    # KDEVICE_QUEUE: Busy shares 8 bytes with Hint on 64-bit Windows.
    Edit(
        "  KSPIN_LOCK Lock;\n# if defined(_AMD64_)\n",
        "  KSPIN_LOCK Lock;\n# if defined(_AMD64_) || defined(_ARM64_)\n",
    ),
    # Interlocked* names map to the compiler's _Interlocked* intrinsics, as on AMD64.
    Edit(
        "#endif // !defined (_WIN64)\n\n#if defined (_M_AMD64)\n",
        "#endif // !defined (_WIN64)\n\n#if defined (_M_AMD64) || defined(_M_ARM64)\n",
    ),
)

NTDDK_EDITS = (
    Edit(
        "#elif defined(_M_ARM)\n#else\n#error Unknown Architecture",
        "#elif defined(_M_ARM) || defined(_M_ARM64)\n#else\n#error Unknown Architecture",
    ),
    # RtlLargeIntegerDivide inline on 64-bit.
    _also_arm64("defined(_AMD64_) || defined(_IA64_)", 2),
)

EDITS = {"wdm.h": WDM_EDITS, "ntddk.h": NTDDK_EDITS}


def patch_text(name: str, text: str) -> str:
    """Apply the edits of header ``name`` to its text, checking each edit's occurrence count."""
    for edit in EDITS[name]:
        found = text.count(edit.old)
        if found != edit.count:
            first = edit.old.strip().splitlines()[0]
            raise TapError(
                f"ddk/{name}: expected {edit.count} occurrence(s) of {first!r}, found {found}; "
                f"the ARM64 patch supports the mingw-w64 headers of ziglang=={ZIG_VERSION}"
            )
        text = text.replace(edit.old, edit.new)
    return text


def write_overlay(mingw_include: Path, out_dir: Path) -> list[Path]:
    """Write the patched ``wdm.h``, ``ntddk.h`` and the ARM64 arch header into ``out_dir``.

    ``mingw_include`` is zig's mingw-w64 include directory (``tapbuild.build.zig.mingw_include()``),
    which holds ``ddk/``. Returns the written paths (wdm.h, ntddk.h, arch header). Everything
    is read and patched before anything is written, so a mismatch leaves ``out_dir`` as it was.
    """
    ddk = mingw_include / "ddk"
    contents: dict[str, bytes] = {}
    for name in EDITS:
        source = ddk / name
        try:
            text = source.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TapError(
                f"{source}: cannot read zig's mingw-w64 kernel header ({exc}); expected the "
                f"headers of ziglang=={ZIG_VERSION}"
            ) from exc
        contents[name] = patch_text(name, text).encode("utf-8")
    contents[ARCH_HEADER] = ARCH_HEADER_SOURCE.read_bytes()

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in contents.items():
        path = out_dir / name
        atomic.write_if_changed(path, data)
        written.append(path)
    return written
