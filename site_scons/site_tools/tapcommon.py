"""SCons Tool shared by every toolchain: the project's Builders and pseudo-builders.

A toolchain Tool (zig, ewdk, wdk) sets the programs and flags, in the variables SCons's own
Tools use for the same jobs (``CC``, ``CCFLAGS``, ``LIBS``, ``LIBPATH``, ``LIBDIRPREFIX`` ...) and
in these, which a user or an SConscript can ``Append`` to:

    TAP_LINK, TAP_LINKFLAGS            the linker and the flags of every image
    TAP_KLINK(FLAGS)                   kernel images      (default: $TAP_LINK, $TAP_LINKFLAGS)
    TAP_PLINK(FLAGS)                   console programs   (its entry: $TAP_ENTRY)
    TAP_DLINK(FLAGS)                   DLLs               (its exports: $TAP_DEFFILE)
    TAP_KITLIBPATH                     library folders of a Windows kit, outside the tree
    TAP_RCCOM, TAP_IMPLIBCOM           version resources; import libraries (toolchains whose
                                       TAP_LIBS_FROM_TABLE is set make them from the tables)
    TAP_{KERNEL,USER}_{CCFLAGS,CPPDEFINES,CPPPATH,LIBS}   per kind of code
    TAP_PROGRAM_CCFLAGS, TAP_DLL_CCFLAGS                  user-mode runtime flags
    TAP_KERNEL_RUNTIME                 sources the toolchain's kernel runtime needs (zig: krt.c)
    TAP_CRTLINKCOM                     a test program with the toolchain's C runtime (zig only)

The link command lines are composed here, once (``$TAP_KLINKCOM``: ``$TAP_KLINK $TAP_KLINKFLAGS
/OUT:$TARGET /PDB:... $SOURCES $_LIBDIRFLAGS ... $_LIBFLAGS``); their short lines are the
``$…COMSTR`` variables of tapbuild.build.shortlines. The Builders (``TapKernelImage``,
``TapProgramImage``, ``TapDllImage``, ``TapCrtProgram``, ``TapResource``, ``TapImportLib``) get
their ``.pdb`` from an emitter. SConscripts use the pseudo-builders, as a description:

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
from tapbuild import atomic
from tapbuild.build import imports as importtable
from tapbuild.build import mingwdefs, msvc, pecheck, shortlines
from tapbuild.errors import TapError
from tapbuild.product import inf, resource

Env = Any  # SCons.Environment.Environment; SCons ships no type information

# Kit library folders are plain flags, as the kit's include folders are: outside the tree, not
# nodes (``$_LIBDIRFLAGS`` would make nodes of them), but part of the build signature.
_KITLIBDIRFLAGS = "${_concat(LIBDIRPREFIX, TAP_KITLIBPATH, LIBDIRSUFFIX, __env__)}"
_LINK_TAIL = (
    "/OUT:$TARGET /PDB:${TARGETS[1]} $SOURCES $_LIBDIRFLAGS $_TAP_KITLIBDIRFLAGS $_LIBFLAGS"
)
LINK_COMMANDS = {
    "TAP_KLINKCOM": f"$TAP_KLINK $TAP_KLINKFLAGS {_LINK_TAIL}",
    "TAP_PLINKCOM": f"$TAP_PLINK $TAP_PLINKFLAGS {_LINK_TAIL}",
    "TAP_DLINKCOM": f"$TAP_DLINK $TAP_DLINKFLAGS {_LINK_TAIL}",
}


def _pdb_emitter(target: list[Any], source: list[Any], env: Env) -> tuple[list[Any], list[Any]]:
    """An image's program database, beside it: ``tap0901.sys`` -> ``tap0901.pdb``."""
    image = target[0]
    return [image, image.dir.File(Path(image.name).stem + ".pdb")], source


_TABLES: dict[Path, list[importtable.Import]] = {}


def _table(env: Env, imports: str) -> tuple[Path, list[importtable.Import]]:
    """An import table, loaded once per build (every arch's image reads the same file)."""
    path = Path(env.File(imports).srcnode().abspath)
    if path not in _TABLES:
        _TABLES[path] = importtable.load_table(path)
    return path, _TABLES[path]


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
        libs += env.TapImportLib(f"{stem}.lib", env.GeneratedFile(f"{stem}.def", text))
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
    res: list[Any] = env.TapResource(
        f"{stem}-version.res", env.GeneratedFile(f"{stem}-version.rc", text)
    )
    return res


# kind -> (Builder, flags prefix of the kind of code, extra compile flags of the kind)
_KINDS = {
    "driver": ("TapKernelImage", "KERNEL", None),
    "program": ("TapProgramImage", "USER", "TAP_PROGRAM_CCFLAGS"),
    "dll": ("TapDllImage", "USER", "TAP_DLL_CCFLAGS"),
}


def _image(
    env: Env,
    *,
    name: str,
    kind: str,
    sources: list[Any],
    imports: str,
    description: str,
    **overrides: Any,
) -> list[Any]:
    builder, code, extra = _KINDS[kind]
    arch = env["TAP_ARCH"]
    table_path, full_table = _table(env, imports)
    table = importtable.for_toolchain(full_table, env["TAP_TOOLCHAIN"])
    benv = env.Clone(**overrides)
    benv.Append(
        CCFLAGS=benv[f"TAP_{code}_CCFLAGS"] + (benv[extra] if extra else []),
        CPPDEFINES=benv[f"TAP_{code}_CPPDEFINES"],
        CPPPATH=benv[f"TAP_{code}_CPPPATH"],
        TAP_KITLIBPATH=benv[f"TAP_{code}_KITLIBPATH"],
        LIBS=benv[f"TAP_{code}_LIBS"],
    )
    objects = [benv.Object(s) for s in benv.Flatten(sources)]
    # Headers a toolchain generates (zig's patched ddk overlay) come before any compile.
    benv.Depends(objects, benv.get(f"TAP_{code}_DEPENDS", []))
    if benv.get("TAP_LIBS_FROM_TABLE"):
        libs = _import_libraries(benv, table, name)
    else:  # the kit's import libraries, after the toolchain's own
        libs = []
        benv.Append(LIBS=msvc.table_libs(importtable.dlls(table, arch)))
    res = _version_res(benv, f"{name}{benv[f'TAP_{kind.upper()}SUFFIX']}", kind, description)
    targets: list[Any] = getattr(benv, builder)(
        name,
        objects + res + libs,
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
        env, name=name, kind="driver", sources=sources, imports=imports, description=description
    )


def ConsoleProgram(
    env: Env, name: str, sources: list[Any], *, imports: str, description: str, entry: str
) -> list[Any]:
    """A console program ``<name>.exe`` (+ ``.pdb``) with no C runtime: ``entry`` is its entry point."""
    return _image(
        env, name=name, kind="program", sources=sources, imports=imports,
        description=description, TAP_ENTRY=entry,
    )  # fmt: skip


def InstallerDll(
    env: Env, name: str, sources: list[Any], *, imports: str, deffile: str, description: str
) -> list[Any]:
    """A DLL ``<name>.dll`` (+ ``.pdb``) with no C runtime, exports from ``deffile``."""
    return _image(
        env, name=name, kind="dll", sources=sources, imports=imports,
        description=description, TAP_DEFFILE=env.File(deffile),
    )  # fmt: skip


def _generated_file_action(target: list[Any], source: list[Any], env: Env) -> int:
    atomic.write_bytes(Path(target[0].abspath), source[0].read().encode("utf-8"))
    return 0


def GeneratedFile(env: Env, target: str, text: str) -> list[Any]:
    """A file whose whole content is ``text``; rewritten only when the text changes. A header
    also joins the alias ``headers`` (what `scons compiledb` generates besides the database)."""
    nodes: list[Any] = env.TapGenerated(target, env.Value(text))
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
    nodes: list[Any] = env.TapInf(target, [template, signature])
    return nodes


def _link_builder(com: str, kind: str, suffix: str) -> Any:
    """An image Builder: link, then the PE gate; the .pdb from the emitter."""
    return SCons.Builder.Builder(
        action=[
            SCons.Action.Action(f"${com}", f"${com}STR"),
            SCons.Action.Action(_pe_gate(kind), "$TAP_PECHKCOMSTR", varlist=["TAP_GATE_SIG"]),
        ],
        emitter=_pdb_emitter,
        suffix=suffix,
    )


def generate(env: Env) -> None:
    for name, command in LINK_COMMANDS.items():
        env.SetDefault(**{name: command})
    env["_TAP_KITLIBDIRFLAGS"] = _KITLIBDIRFLAGS
    # Both linkers (link.exe, lld-link) spell library folders and names as mslink does.
    env.Replace(LIBDIRPREFIX="/LIBPATH:", LIBDIRSUFFIX="", LIBLINKPREFIX="", LIBLINKSUFFIX=".lib")
    env.SetDefault(
        TAP_KLINK="$TAP_LINK", TAP_PLINK="$TAP_LINK", TAP_DLINK="$TAP_LINK",
        TAP_DRIVERSUFFIX=".sys", TAP_PROGRAMSUFFIX=".exe", TAP_DLLSUFFIX=".dll",
        TAP_KERNEL_RUNTIME=[], TAP_KERNEL_LIBS=[], TAP_USER_LIBS=[],
        TAP_KERNEL_KITLIBPATH=[], TAP_USER_KITLIBPATH=[], TAP_KITLIBPATH=[],
        TAP_PROGRAM_CCFLAGS=[], TAP_DLL_CCFLAGS=[],
    )  # fmt: skip
    env.Append(
        BUILDERS={
            "TapKernelImage": _link_builder("TAP_KLINKCOM", "driver", "$TAP_DRIVERSUFFIX"),
            "TapProgramImage": _link_builder("TAP_PLINKCOM", "program", "$TAP_PROGRAMSUFFIX"),
            "TapDllImage": _link_builder("TAP_DLINKCOM", "dll", "$TAP_DLLSUFFIX"),
            "TapCrtProgram": SCons.Builder.Builder(
                action=SCons.Action.Action("$TAP_CRTLINKCOM", "$TAP_CRTLINKCOMSTR"),
                emitter=_pdb_emitter,
                suffix=".exe",
            ),
            "TapResource": SCons.Builder.Builder(
                action=SCons.Action.Action("$TAP_RCCOM", "$TAP_RCCOMSTR"),
                suffix=".res",
                src_suffix=".rc",
            ),
            "TapImportLib": SCons.Builder.Builder(
                action=SCons.Action.Action("$TAP_IMPLIBCOM", "$TAP_IMPLIBCOMSTR"),
                suffix=".lib",
                src_suffix=".def",
            ),
            "TapGenerated": SCons.Builder.Builder(
                action=SCons.Action.Action(_generated_file_action, "$TAP_GENCOMSTR")
            ),
            "TapInf": SCons.Builder.Builder(
                action=SCons.Action.Action(_inf_action, "$TAP_INFCOMSTR")
            ),
        }
    )
    env.AddMethod(GeneratedFile)
    env.AddMethod(KernelDriver)
    env.AddMethod(ConsoleProgram)
    env.AddMethod(InstallerDll)
    env.AddMethod(InfFile)
    env.Replace(**shortlines.comstrs(env["TAP_VERBOSE"]))


def exists(env: Env) -> bool:
    return True
