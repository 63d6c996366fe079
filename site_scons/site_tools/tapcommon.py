"""SCons Tool shared by every toolchain: the project's builders and pseudo-builders.

A toolchain Tool (zig, ewdk, wdk) sets the compiler and linker command lines
(``$TAP_KLINKCOM`` for kernel images, ``$TAP_PLINKCOM`` for console programs,
``$TAP_DLINKCOM`` for DLLs, ``$TAP_RCCOM``) and the flags per kind of binary
(``TAP_KERNEL_CCFLAGS``, ``TAP_USER_CCFLAGS``, ...). This Tool turns them into pseudo-builders
that SConscripts use as a description:

    env.KernelDriver("tap0901", ["driver.c", ...], imports="imports.py", description="...")
    env.ConsoleProgram("tapinstall", [...], imports="imports.py", description="...")
    env.InstallerDll("tapmsi", [...], imports="imports.py", deffile="tapmsi.def", description="...")
    env.InfFile("OemVista.inf", "OemVista.inf.in")

Every image goes through the PE gate (tapbuild.build.pecheck) as part of its link step; a failed
gate deletes the image, so a broken binary never looks up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import SCons.Action
import SCons.Builder
import SCons.Errors
import SCons.Node.FS
from tapbuild import atomic
from tapbuild.build import imports as importtable
from tapbuild.build import mingwdefs, msvc, pecheck
from tapbuild.errors import TapError
from tapbuild.product import inf, resource

Env = Any  # SCons.Environment.Environment; SCons ships no type information


def _short(env: Env, label: str, what: str) -> str | None:
    """One short line per step (``CC     amd64  driver/adapter.c``) unless verbose=1."""
    if env.get("TAP_VERBOSE"):
        return None
    return f"${{TAP_PROGRESS}}{label:<6} $TAPARCH  {what}"


def _action(env: Env, act: Any, label: str, what: str, **kw: Any) -> SCons.Action.Action:
    """An Action that prints its short line, or (verbose=1) its full command line."""
    short = _short(env, label, what)
    if short is None and not isinstance(act, str):
        short = f"{label.lower()} {what}"
    return SCons.Action.Action(act, short, **kw) if short else SCons.Action.Action(act, **kw)


def _table(env: Env, imports: str) -> tuple[Path, list[importtable.Import]]:
    path = Path(env.File(imports).srcnode().abspath)
    return path, importtable.load_table(path)


def _table_signature(table: list[importtable.Import], arch: Any) -> str:
    """What the gate's verdict depends on beyond the image: the table and the export evidence."""
    entries = ";".join(
        f"{i.dll}!{i.name}@{i.since}{'!' + i.differs if i.differs else ''}"
        for i in importtable.for_arch(table, arch)
    )
    return f"{entries};{mingwdefs.evidence_signature(arch)}"


def _pe_gate(kind: str) -> Any:
    def gate(target: list[Any], source: list[Any], env: Env) -> int:
        image = Path(target[0].abspath)
        table = env.get("TAP_GATE_TABLE")
        try:
            pecheck.check(image, env["TAP_ARCH"], kind, table)
        except TapError as exc:
            image.unlink(missing_ok=True)  # else the next build would take it for up to date
            raise SCons.Errors.BuildError(errstr=str(exc)) from None  # one line on stderr
        return 0

    gate.__name__ = f"pe_gate_{kind}"
    return gate


def _import_libraries(env: Env, table: list[importtable.Import], name: str) -> list[Any]:
    """Import libraries generated from the table (toolchains that need them, i.e. zig)."""
    arch = env["TAP_ARCH"]
    libs = []
    for dll in importtable.dlls(table, arch):
        stem = f"{name}-{Path(dll).stem.lower()}"
        text = importtable.def_text(table, arch, dll)
        deffile = env.GeneratedFile(f"{stem}.def", text)
        libs += env.Command(
            f"{stem}.lib", deffile, _action(env, "$TAP_IMPLIBCOM", "IMPLIB", "$TARGET")
        )
    return libs


def _version_res(env: Env, filename: str, kind: str, description: str) -> list[Any]:
    text = resource.rc_text(
        env["TAP_PRODUCT"],
        kind=kind,
        filename=filename,
        description=description,
        debug=env["TAP_CONFIG"] == "debug",
    )
    stem = Path(filename).stem
    rc = env.GeneratedFile(f"{stem}-version.rc", text)
    res: list[Any] = env.Command(
        f"{stem}-version.res", rc, _action(env, "$TAP_RCCOM", "RC", "$TARGET")
    )
    return res


def _image(
    env: Env,
    *,
    name: str,
    suffix: str,
    kind: str,
    sources: list[Any],
    imports: str,
    description: str,
    flags_prefix: str,
    linkcom: str,
    extra_sources: list[Any] | None = None,
    **overrides: Any,
) -> list[Any]:
    arch = env["TAP_ARCH"]
    table_path, full_table = _table(env, imports)
    table = importtable.for_toolchain(full_table, env["TAP_TOOLCHAIN"])
    benv = env.Clone(**overrides)
    benv.Append(
        CCFLAGS=benv[f"TAP_{flags_prefix}_CCFLAGS"],
        CPPDEFINES=benv[f"TAP_{flags_prefix}_CPPDEFINES"],
        CPPPATH=benv[f"TAP_{flags_prefix}_CPPPATH"],
    )
    objects = [benv.Object(s) for s in benv.Flatten(sources)]
    # Headers a toolchain generates (zig's patched ddk overlay) come before any compile.
    benv.Depends(objects, benv.get(f"TAP_{flags_prefix}_DEPENDS", []))
    if benv.get("TAP_LIBS_FROM_TABLE"):
        libs = _import_libraries(benv, table, name)
    else:
        libs = []
        benv["TAP_TABLE_LIBS"] = msvc.table_libs(importtable.dlls(table, arch))
    res = _version_res(benv, f"{name}{suffix}", kind, description)
    filename = f"{name}{suffix}"
    targets: list[Any] = benv.Command(
        [filename, f"{name}.pdb"],
        objects + res + libs + (extra_sources or []),
        [
            _action(benv, linkcom, "LINK", "$TARGET"),
            _action(benv, _pe_gate(kind), "PECHK", "$TARGET", varlist=["TAP_GATE_SIG"]),
        ],
        TAP_GATE_TABLE=table,
        TAP_GATE_SIG=_table_signature(table, arch),
    )
    benv.Depends(targets, benv.File(str(table_path)))
    return targets


def KernelDriver(
    env: Env, name: str, sources: list[Any], *, imports: str, description: str
) -> list[Any]:
    """A kernel-mode driver image ``<name>.sys`` (+ ``.pdb``)."""
    return _image(
        env, name=name, suffix=".sys", kind="driver", sources=sources, imports=imports,
        description=description, flags_prefix="KERNEL", linkcom="$TAP_KLINKCOM",
    )  # fmt: skip


def ConsoleProgram(
    env: Env, name: str, sources: list[Any], *, imports: str, description: str, entry: str
) -> list[Any]:
    """A console program ``<name>.exe`` (+ ``.pdb``) with no C runtime: ``entry`` is its entry point."""
    return _image(
        env, name=name, suffix=".exe", kind="program", sources=sources, imports=imports,
        description=description, flags_prefix="USER", linkcom="$TAP_PLINKCOM", TAP_ENTRY=entry,
    )  # fmt: skip


def InstallerDll(
    env: Env, name: str, sources: list[Any], *, imports: str, deffile: str, description: str
) -> list[Any]:
    """A DLL ``<name>.dll`` (+ ``.pdb``) with no C runtime, exports from ``deffile``."""
    return _image(
        env, name=name, suffix=".dll", kind="dll", sources=sources, imports=imports,
        description=description, flags_prefix="USER", linkcom="$TAP_DLINKCOM",
        TAP_DEFFILE=env.File(deffile),
    )  # fmt: skip


def _generated_file_action(target: list[Any], source: list[Any], env: Env) -> int:
    atomic.write_bytes(Path(target[0].abspath), source[0].read().encode("utf-8"))
    return 0


def GeneratedFile(env: Env, target: str, text: str) -> list[Any]:
    """A file whose whole content is ``text``; rewritten only when the text changes. A header
    also joins the alias ``headers`` (what `scons compiledb` generates besides the database)."""
    nodes: list[Any] = env.Command(
        target, env.Value(text), _action(env, _generated_file_action, "GEN", "$TARGET")
    )
    if target.endswith(".h"):
        env.Alias("headers", nodes)
    return nodes


def _inf_action(target: list[Any], source: list[Any], env: Env) -> int:
    template = Path(source[0].abspath).read_text(encoding="utf-8")
    try:
        data = inf.render(template, env["TAP_PRODUCT"], env["TAP_ARCH"], source[0].srcnode().path)
    except TapError as exc:
        print(f"scons: *** {exc}")
        return 1
    atomic.write_bytes(Path(target[0].abspath), data)
    return 0


def InfFile(env: Env, target: str, template: str) -> list[Any]:
    """The INF for this arch from its template (``@NAME@`` + stampinf)."""
    product = env["TAP_PRODUCT"]
    used = inf.used_fields(Path(env.File(template).srcnode().abspath).read_text(encoding="utf-8"))
    signature = env.Value(repr([(n, getattr(product, n)) for n in used]))
    nodes: list[Any] = env.Command(
        target, [template, signature], _action(env, _inf_action, "INF", "$TARGET")
    )
    return nodes


def generate(env: Env) -> None:
    env.AddMethod(GeneratedFile)
    env.AddMethod(KernelDriver)
    env.AddMethod(ConsoleProgram)
    env.AddMethod(InstallerDll)
    env.AddMethod(InfFile)
    if not env.get("TAP_VERBOSE"):
        env.Replace(
            CCCOMSTR=_short(env, "CC", "$SOURCE"),
            INSTALLSTR=_short(env, "DIST", "$TARGET"),
        )


def exists(env: Env) -> bool:
    return True
