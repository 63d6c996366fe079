"""The custom-action DLL's decision logic (installer/msica/plan.c), compiled for the host."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tools import require

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "installer" / "msica" / "plan.c"

UNKNOWN, ABSENT, LOCAL, SOURCE = -1, 2, 3, 4
NONE, INSTALL, UPGRADE, REINSTALL, ADDREF, UNINSTALL, RELEASE = range(7)


class Facts(ctypes.Structure):
    _fields_ = [
        ("installed", ctypes.c_int),
        ("action", ctypes.c_int),
        ("module_version", ctypes.c_uint64),
        ("store_version", ctypes.c_uint64),
        ("clients", ctypes.c_uint),
        ("is_client", ctypes.c_int),
    ]


W = ctypes.POINTER(ctypes.c_uint16)


class PlanInput(ctypes.Structure):
    _fields_ = [
        (n, W) for n in ("inf", "hwid", "key", "product", "version", "published", "old_version")
    ]


class Buffer(ctypes.Structure):
    _fields_ = [
        ("data", W),
        ("capacity", ctypes.c_size_t),
        ("length", ctypes.c_size_t),
        ("overflow", ctypes.c_int),
    ]


class Reader(ctypes.Structure):
    _fields_ = [("next", W)]


def wstr(text: str) -> ctypes.Array[ctypes.c_uint16]:
    units = list(text.encode("utf-16-le"))
    codes = [units[i] | units[i + 1] << 8 for i in range(0, len(units), 2)]
    return (ctypes.c_uint16 * (len(codes) + 1))(*codes, 0)


def pystr(buf: ctypes.Array[ctypes.c_uint16] | W, length: int | None = None) -> str:
    out = []
    i = 0
    while (length is None and buf[i]) or (length is not None and i < length):
        out.append(buf[i])
        i += 1
    return b"".join(c.to_bytes(2, "little") for c in out).decode("utf-16-le")


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    require("gcc")
    cc = shutil.which("gcc")
    assert cc is not None
    out = tmp_path_factory.mktemp("plan") / "libplan.so"
    subprocess.run(
        [
            cc,
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-shared",
            "-fPIC",
            str(SRC),
            "-o",
            str(out),
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(out))
    lib.tap_version_parse.restype = ctypes.c_uint64
    lib.tap_version_parse.argtypes = [W]
    lib.tap_decide.argtypes = [ctypes.POINTER(Facts)]
    lib.tap_plan.argtypes = [ctypes.c_int, ctypes.POINTER(PlanInput)] + [ctypes.POINTER(Buffer)] * 3
    lib.tap_script_add.argtypes = [
        ctypes.POINTER(Buffer),
        ctypes.c_uint16,
        ctypes.POINTER(W),
        ctypes.c_size_t,
    ]
    lib.tap_script_next.restype = ctypes.c_uint16
    lib.tap_script_next.argtypes = [
        ctypes.POINTER(Reader),
        ctypes.POINTER(W),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    lib.tap_decision_name.restype = ctypes.c_char_p
    return lib


def version(lib: ctypes.CDLL, text: str) -> int:
    return int(lib.tap_version_parse(ctypes.cast(wstr(text), W)))


def decide(
    lib: ctypes.CDLL,
    installed: int,
    action: int,
    module: str,
    store: str,
    clients: int,
    is_client: bool,
) -> int:
    f = Facts(
        installed,
        action,
        version(lib, module),
        version(lib, store) if store else 0,
        clients,
        is_client,
    )
    return int(lib.tap_decide(ctypes.byref(f)))


# --- versions ------------------------------------------------------------------------------


def test_version_parse(lib: ctypes.CDLL) -> None:
    assert version(lib, "9.27.0.0") == (9 << 48) | (27 << 32)
    assert version(lib, "9.27") == (9 << 48) | (27 << 32)
    assert version(lib, "65535.1.2.3") == (65535 << 48) | (1 << 32) | (2 << 16) | 3
    for bad in ("", "9..1", "9.27.0.0.1", "65536", "9.x", ".9", "9.", "123456"):
        assert version(lib, bad) == 0, bad


def test_version_order_is_numeric(lib: ctypes.CDLL) -> None:
    @given(
        st.lists(st.integers(0, 65535), min_size=4, max_size=4),
        st.lists(st.integers(0, 65535), min_size=4, max_size=4),
    )
    @settings(max_examples=300, deadline=None)
    def check(a: list[int], b: list[int]) -> None:
        va = version(lib, ".".join(map(str, a)))
        vb = version(lib, ".".join(map(str, b)))
        assert (va < vb) == (tuple(a) < tuple(b))
        assert (va == vb) == (a == b)

    check()


# --- decisions -----------------------------------------------------------------------------

CASES = [
    # installed, action, module, store, clients, is_client -> decision
    (ABSENT, LOCAL, "9.27", "", 0, False, INSTALL),  # first product
    (ABSENT, LOCAL, "9.27", "9.27", 0, False, INSTALL),  # stale version, nobody uses it
    (ABSENT, LOCAL, "9.27", "9.24", 1, False, UPGRADE),  # another product has an older one
    (LOCAL, LOCAL, "9.28", "9.27", 1, True, UPGRADE),  # our own minor upgrade
    (LOCAL, LOCAL, "9.27", "9.27", 1, True, REINSTALL),  # repair
    (ABSENT, LOCAL, "9.27", "9.27", 1, False, ADDREF),  # another product, same version
    (ABSENT, LOCAL, "9.24", "9.27", 1, False, ADDREF),  # older module: keep the newer driver
    (LOCAL, LOCAL, "9.24", "9.27", 2, True, NONE),  # already counted, driver is newer
    (LOCAL, ABSENT, "9.27", "9.27", 1, True, UNINSTALL),  # the last one goes
    (LOCAL, ABSENT, "9.27", "9.27", 2, True, RELEASE),  # another product still uses it
    (LOCAL, ABSENT, "9.27", "9.27", 1, False, NONE),  # never counted in: leave it alone
    (LOCAL, UNKNOWN, "9.27", "9.27", 1, True, NONE),  # no change for this component
    (ABSENT, UNKNOWN, "9.27", "", 0, False, NONE),
    (ABSENT, ABSENT, "9.27", "9.27", 1, False, NONE),
    (ABSENT, SOURCE, "9.27", "", 0, False, INSTALL),
]


@pytest.mark.parametrize(
    ("installed", "action", "module", "store", "clients", "is_client", "expected"), CASES
)
def test_decide(
    lib: ctypes.CDLL, installed, action, module, store, clients, is_client, expected
) -> None:
    assert decide(lib, installed, action, module, store, clients, is_client) == expected


def test_two_products_never_remove_under_each_other(lib: ctypes.CDLL) -> None:
    """Simulate the registry count across installs and removals of two products."""
    clients: set[str] = set()
    store = ""

    def run(product: str, installed: int, action: int, module: str) -> int:
        nonlocal store
        d = decide(lib, installed, action, module, store, len(clients), product in clients)
        if d in (INSTALL, UPGRADE, REINSTALL, ADDREF):
            clients.add(product)
            if d != ADDREF:
                store = module
        elif d in (UNINSTALL, RELEASE):
            clients.discard(product)
            if d == UNINSTALL:
                store = ""
        return d

    assert run("A", ABSENT, LOCAL, "9.27") == INSTALL
    assert run("B", ABSENT, LOCAL, "9.28") == UPGRADE
    assert run("A", LOCAL, ABSENT, "9.27") == RELEASE  # B still uses it
    assert store == "9.28" and clients == {"B"}
    assert run("B", LOCAL, ABSENT, "9.28") == UNINSTALL


def test_use_win10(lib: ctypes.CDLL) -> None:
    assert lib.tap_use_win10(10, 1) == 1
    assert lib.tap_use_win10(6, 1) == 0
    assert lib.tap_use_win10(6, 0) == 1  # arm64: only the win10 variant exists


# --- scripts -------------------------------------------------------------------------------


def make_buffer(size: int = 4096) -> tuple[Buffer, ctypes.Array[ctypes.c_uint16]]:
    store = (ctypes.c_uint16 * size)()
    return Buffer(ctypes.cast(store, W), size, 0, 0), store


def read_script(lib: ctypes.CDLL, text: str) -> list[tuple[str, list[str]]]:
    buf = wstr(text)
    reader = Reader(ctypes.cast(buf, W))
    fields = (W * 4)()
    count = ctypes.c_size_t()
    out = []
    while True:
        step = lib.tap_script_next(ctypes.byref(reader), fields, ctypes.byref(count))
        if step == 0:
            return out
        out.append((chr(step), [pystr(fields[i]) for i in range(count.value)]))


def plan(lib: ctypes.CDLL, decision: int, **values: str) -> tuple[str, str, str]:
    defaults = {
        "inf": r"C:\Program Files\TAP-Windows\driver\win10\OemVista.inf",
        "hwid": "tap0901",
        "key": r"SOFTWARE\TAP-Windows\tap0901",
        "product": "{11111111-2222-3333-4444-555555555555}",
        "version": "9.27.0.0",
        "published": "oem12.inf",
        "old_version": "9.24.0.0",
    }
    defaults.update(values)
    keep = {k: wstr(v) for k, v in defaults.items()}
    pin = PlanInput(**{k: ctypes.cast(v, W) for k, v in keep.items()})
    bufs = [make_buffer() for _ in range(3)]
    rc = lib.tap_plan(decision, ctypes.byref(pin), *(ctypes.byref(b) for b, _ in bufs))
    assert rc == 0
    return tuple(pystr(store, b.length) for b, store in bufs)  # type: ignore[return-value]


def test_plan_install(lib: ctypes.CDLL) -> None:
    run, rollback, commit = plan(lib, INSTALL)
    assert read_script(lib, run) == [
        (
            "I",
            [
                r"C:\Program Files\TAP-Windows\driver\win10\OemVista.inf",
                "tap0901",
                r"SOFTWARE\TAP-Windows\tap0901",
            ],
        ),
        (
            "+",
            [r"SOFTWARE\TAP-Windows\tap0901", "{11111111-2222-3333-4444-555555555555}", "9.27.0.0"],
        ),
    ]
    assert [s for s, _ in read_script(lib, rollback)] == ["X", "-"]
    assert commit == ""


def test_plan_upgrade_rolls_back_to_the_old_package(lib: ctypes.CDLL) -> None:
    run, rollback, commit = plan(lib, UPGRADE)
    assert [s for s, _ in read_script(lib, run)] == ["I", "+"]
    assert read_script(lib, rollback) == [
        ("B", ["oem12.inf", "tap0901", r"SOFTWARE\TAP-Windows\tap0901"]),
        ("V", [r"SOFTWARE\TAP-Windows\tap0901", "9.24.0.0"]),
    ]
    assert read_script(lib, commit) == [("D", ["oem12.inf", r"SOFTWARE\TAP-Windows\tap0901"])]


def test_plan_uninstall_release_addref(lib: ctypes.CDLL) -> None:
    run, rollback, _ = plan(lib, UNINSTALL)
    assert [s for s, _ in read_script(lib, run)] == ["X", "-"]
    assert [s for s, _ in read_script(lib, rollback)] == ["I", "+"]
    run, rollback, _ = plan(lib, RELEASE)
    assert [s for s, _ in read_script(lib, run)] == ["-"]
    assert read_script(lib, rollback)[0][1][2] == ""  # re-adding keeps the recorded version
    run, rollback, _ = plan(lib, ADDREF)
    assert [s for s, _ in read_script(lib, run)] == ["+"]
    assert [s for s, _ in read_script(lib, rollback)] == ["-"]
    assert plan(lib, NONE) == ("", "", "")


def test_plan_rejects_separator_in_input(lib: ctypes.CDLL) -> None:
    keep = {k: wstr(v) for k, v in {"inf": "a|b", "hwid": "t", "key": "k", "product": "p", "version": "1",
                                    "published": "", "old_version": ""}.items()}  # fmt: skip
    pin = PlanInput(**{k: ctypes.cast(v, W) for k, v in keep.items()})
    bufs = [make_buffer() for _ in range(3)]
    assert lib.tap_plan(INSTALL, ctypes.byref(pin), *(ctypes.byref(b) for b, _ in bufs)) == -1


def test_script_overflow_keeps_buffer_terminated(lib: ctypes.CDLL) -> None:
    buf, store = make_buffer(8)
    field = wstr("0123456789")
    fields = (W * 1)(ctypes.cast(field, W))
    assert lib.tap_script_add(ctypes.byref(buf), ord("I"), fields, 1) == -1
    assert buf.overflow == 1 and buf.length == 0 and store[0] == 0


def test_script_reader_rejects_garbage(lib: ctypes.CDLL) -> None:
    assert read_script(lib, "Ixx|a\n") == []
    assert read_script(lib, "\n\nD|oem1.inf|k\n") == [("D", ["oem1.inf", "k"])]


def test_script_roundtrip(lib: ctypes.CDLL) -> None:
    text = st.text(
        st.characters(blacklist_characters="|\r\n\0", blacklist_categories=("Cs",)), max_size=40
    )

    @given(
        st.lists(
            st.tuples(st.sampled_from("IXBD+-V"), st.lists(text, min_size=1, max_size=4)),
            max_size=6,
        )
    )
    @settings(max_examples=200, deadline=None)
    def check(steps: list[tuple[str, list[str]]]) -> None:
        buf, store = make_buffer(8192)
        for step, fields in steps:
            keep = [wstr(f) for f in fields]
            arr = (W * len(keep))(*(ctypes.cast(k, W) for k in keep))
            assert lib.tap_script_add(ctypes.byref(buf), ord(step), arr, len(keep)) == 0
        assert read_script(lib, pystr(store, buf.length)) == [(s, f) for s, f in steps]

    check()
