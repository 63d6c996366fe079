"""Every declaration of the driver's kernel interface compiles as a miniport uses it.

decl_usage.c exercises the characteristics, attributes (both revisions), PM capabilities (both
forms), configuration, NdisReadNetworkAddress, NdisRegisterDeviceEx with SDDL, NBL/NB/MDL and
their macros, pools, receive indication and send completion, OID requests, status indication,
link state, 802.1Q info, statistics, spin/RW locks, events, up-time, tagged memory, the
cancel-safe IRP queue, MmGetSystemAddressForMdlSafe with MdlMappingNoExecute, registry reads
and the Rtl string routines. Built like the driver (kernel flags, -Werror) for each arch, it
must leave only imports and the kernel runtime undefined: nothing inline-only, nothing from a
CRT.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from layoutprobe import HERE, windows_defines, zig_include_args
from tapbuild.arch import ARCHES
from tapbuild.build import zig
from test_calling_conventions import undefined_symbols

# The zig Tool's kernel flags (tapbuild.build.zig.kernel_flags) and the common ones that bear on
# declarations.
COMMON_FLAGS = [
    "-mno-stack-arg-probe",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-DNDIS_MINIPORT_DRIVER",
    "-DNDIS620_MINIPORT",
    "-DNDIS630_MINIPORT",
    "-DNDIS_WDM=1",
]
RUNTIME = {"memcpy", "memset", "memmove", "memcmp", "__stack_chk_fail", "__stack_chk_guard"}


@pytest.mark.slow
@pytest.mark.parametrize("arch", list(ARCHES))
def test_usage_compiles_and_needs_only_imports(arch: str, tmp_path: Path) -> None:
    obj = tmp_path / "usage.obj"
    a = ARCHES[arch]
    cmd = [*zig.command(), "cc", "-target", a.zig_target, "-c", *zig.kernel_flags(a), *COMMON_FLAGS]
    cmd += [*windows_defines(arch), *zig_include_args(tmp_path / "ov")]
    cmd += [str(HERE / "decl_usage.c"), "-o", str(obj)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    undefined = undefined_symbols(obj.read_bytes())
    prefix = "_" if arch == "i386" else ""
    stray = {
        s for s in undefined if not s.startswith("__imp_") and s.removeprefix(prefix) not in RUNTIME
    }
    assert stray == set()
    imports = {s for s in undefined if s.startswith("__imp_")}
    assert any("NdisRegisterDeviceEx" in s for s in imports)
    assert any("IoCsqInitialize" in s for s in imports)
    assert any("MmMapLockedPagesSpecifyCache" in s for s in imports)
