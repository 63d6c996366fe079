"""The generated INF against TAP-Windows6 9.x's, directive by directive, section names aside.

9.x's INF (its OemVista.inf.in with the version.m4 values, as 9.27 ships it: *IfType 53 and
*PhysicalMediaType 0 since its pull request 84, the NetworkAddress property and the DelReg of
the old "MAC" property since pull request 127) is recorded below as facts: what each directive
makes Windows do, with the product values substituted. Both INFs reduce to such facts; every
fact on one side only must be a difference listed here and on docs/compatibility.md.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from tapbuild.product import inf, versioninfo
from tapbuild.arch import ARCHES
from tapbuild.product.versioninfo import Product

ROOT = Path(__file__).resolve().parents[2]
COMPAT_PAGE = ROOT / "docs" / "compatibility.md"

Fact = tuple[str, ...]


def nine_x(p: Product) -> set[Fact]:
    """What 9.x's INF does, with this build's product values (version.m4's role)."""
    cid = p.PRODUCT_TAP_WIN_COMPONENT_ID
    provider, desc = p.PRODUCT_TAP_WIN_PROVIDER, p.PRODUCT_TAP_WIN_DEVICE_DESCRIPTION
    chars = f"0x{p.PRODUCT_TAP_WIN_CHARACTERISTICS:X}"
    params = {
        "MTU": [("ParamDesc", "MTU"), ("Type", "int"), ("Default", "1500"), ("Optional", "0"),
                ("Min", "100"), ("Max", "1500"), ("Step", "1")],
        "MediaStatus": [("ParamDesc", "Media Status"), ("Type", "enum"), ("Default", "0"),
                        ("Optional", "0")],
        "MediaStatus\\enum": [("0", "Application Controlled"), ("1", "Always Connected")],
        "NetworkAddress": [("ParamDesc", "MAC Address"), ("Type", "edit"), ("Optional", "1")],
        "AllowNonAdmin": [("ParamDesc", "Non-Admin Access"), ("Type", "enum"), ("Default", "1"),
                          ("Optional", "0")],
        "AllowNonAdmin\\enum": [("0", "Not Allowed"), ("1", "Allowed")],
    }  # fmt: skip
    facts: set[Fact] = {
        ("Version", "Signature", "$Windows NT$"),
        ("Version", "Class", "Net"),
        ("Version", "ClassGUID", "{4d36e972-e325-11ce-bfc1-08002be10318}"),
        ("Version", "Provider", provider),
        ("Version", "CatalogFile", f"{cid}.cat"),
        ("Manufacturer", provider, "NT$ARCH$"),
        ("Model", desc, f"root\\{cid}"),
        ("Model", desc, cid),
        ("Install", "Characteristics", chars),
        ("Install", "*IfType", "53"),
        ("Install", "*MediaType", "0"),
        ("Install", "*PhysicalMediaType", "0"),
        ("AddReg", "HKR", "Ndi", "Service", "0", cid),
        ("AddReg", "HKR", "Ndi\\Interfaces", "UpperRange", "0", "ndis5"),
        ("AddReg", "HKR", "Ndi\\Interfaces", "LowerRange", "0", "ethernet"),
        ("AddReg", "HKR", "", "Manufacturer", "0", provider),
        ("AddReg", "HKR", "", "ProductName", "0", desc),
        ("DelReg", "HKR", "Ndi\\params\\MAC", ""),
        ("AddService", cid, "2"),
        ("Service", "DisplayName", desc),
        ("Service", "ServiceType", "1"),
        ("Service", "StartType", "3"),
        ("Service", "ErrorControl", "1"),
        ("Service", "LoadOrderGroup", "NDIS"),
        ("Service", "ServiceBinary", f"%12%\\{cid}.sys"),
        ("CopyFile", f"{cid}.sys", "12", "6"),
        ("SourceDisk", "1", desc, f"{cid}.sys"),
        ("SourceFile", f"{cid}.sys", "1"),
    }
    for key, values in params.items():
        for name, value in values:
            facts.add(("AddReg", "HKR", f"Ndi\\params\\{key}", name, "0", value))
    return facts


def ours_only(p: Product) -> dict[Fact, str]:
    """Facts only our INF has, each with the words that name it on the compatibility page."""
    return {
        ("AddReg", "HKR", "Ndi\\params\\NetworkAddress", "LimitText", "0", "12"): "LimitText",
        ("AddReg", "HKR", "Ndi\\params\\NetworkAddress", "UpperCase", "0", "1"): "UpperCase",
        ("EventLog", "HKR", "", "EventMessageFile", "0x20000",
         "%SystemRoot%\\System32\\netevent.dll"): "EventMessageFile",
        ("EventLog", "HKR", "", "TypesSupported", "0x10001", "7"): "TypesSupported",
    }  # fmt: skip


NINE_X_ONLY: dict[Fact, str] = {}  # nothing 9.x's INF does is missing from ours


def _split(value: str) -> list[str]:
    """Comma-separated INF fields, quotes removed (no field here holds a comma)."""
    return [f.strip().strip('"') for f in value.split(",")]


def _flags(text: str) -> str:
    n = int(text, 0) if text else 0
    return f"0x{n:X}" if n > 9 else str(n)


class Inf:
    """An INF reduced to what its directives do."""

    def __init__(self, text: str) -> None:
        self.sections: dict[str, list[str]] = {}
        current: list[str] | None = None
        for raw in text.splitlines():
            line = re.sub(r"\s;.*$|^;.*$", "", raw).strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                current = self.sections.setdefault(line[1:-1].strip().lower(), [])
            elif current is not None:
                current.append(line)
        strings = dict(self.pairs("Strings"))
        self.strings = {k.lower(): v.strip('"') for k, v in strings.items()}

    def resolve(self, text: str) -> str:
        """%name% from [Strings]; %% is a literal percent sign."""

        def one(part: str) -> str:
            return re.sub(
                r"%(\w+)%", lambda m: self.strings.get(m.group(1).lower(), m.group(0)), part
            )

        return "%".join(one(part) for part in text.split("%%"))

    def lines(self, section: str) -> list[str]:
        return self.sections.get(section.lower(), [])

    def pairs(self, section: str) -> list[tuple[str, str]]:
        return [
            (k.strip(), v.strip()) for k, _, v in (x.partition("=") for x in self.lines(section))
        ]

    def regs(self, kind: str, sections: str) -> set[Fact]:
        out: set[Fact] = set()
        for name in _split(sections):
            for line in self.lines(name):
                f = [self.resolve(x) for x in _split(line)] + ["", "", "", ""]
                if kind == "DelReg":
                    out.add(("DelReg", f[0], f[1], f[2]))
                else:
                    out.add((kind, f[0], f[1], f[2], _flags(f[3]), f[4]))
        return out

    def facts(self) -> set[Fact]:
        facts: set[Fact] = set()
        for k, v in self.pairs("Version"):
            if k != "DriverVer":  # stampinf's, from the same version values on both sides
                facts.add(("Version", k, self.resolve(v).strip('"')))
        ((who, models),) = self.pairs("Manufacturer")
        models_name, *decorations = _split(models)
        facts.add(("Manufacturer", self.resolve(who), *decorations))
        installs = set()
        for desc, target in self.pairs(f"{models_name}.{decorations[0]}"):
            install, hwid = _split(target)
            facts.add(("Model", self.resolve(desc), hwid))
            installs.add(install)
        ((install,),) = [installs]
        dirs = {k.lower(): v for k, v in self.pairs("DestinationDirs")}
        for k, v in self.pairs(install):
            if k in ("Characteristics", "*IfType", "*MediaType", "*PhysicalMediaType"):
                n = int(v, 0)
                facts.add(("Install", k, f"0x{n:X}" if k == "Characteristics" else str(n)))
            elif k in ("AddReg", "DelReg"):
                facts |= self.regs(k, v)
            elif k == "CopyFiles":
                for files in _split(v):
                    for line in self.lines(files):
                        name, _, _, flags = _split(line)
                        facts.add(("CopyFile", name, dirs[files.lower()], flags))
            else:
                facts.add(("Install", k, v))
        for _, v in self.pairs(f"{install}.Services"):
            service, flags, section, *log = _split(v)
            facts.add(("AddService", service, flags))
            for k, value in self.pairs(section):
                facts.add(("Service", k, self.resolve(value)))
            for section in log:
                facts |= {("EventLog", *f[1:]) for f in self.regs("EventLog", section)}
        for k, v in self.pairs("SourceDisksNames"):
            desc, *tag = _split(v)
            facts.add(("SourceDisk", k, self.resolve(desc), *tag))
        for k, v in self.pairs("SourceDisksFiles"):
            facts.add(("SourceFile", k, v))
        return facts


def template() -> str:
    return (ROOT / "driver" / "OemVista.inf.in").read_text()


@pytest.mark.parametrize("override", [{}, {"PRODUCT_TAP_WIN_COMPONENT_ID": "tapoas6"}])
def test_inf_does_what_9x_does_but_the_listed_differences(override: dict[str, str]) -> None:
    product = dataclasses.replace(versioninfo.load(), **override)
    # The models section keeps $ARCH$ unstamped on the 9.x side: compare before stamping.
    text = inf.substitute(template(), product.as_dict())
    ours = Inf(text).facts()
    theirs = nine_x(product)
    assert ours - theirs == set(ours_only(product))
    assert theirs - ours == set(NINE_X_ONLY)


def test_every_inf_difference_is_on_the_compatibility_page() -> None:
    page = COMPAT_PAGE.read_text()
    for word in [*ours_only(versioninfo.load()).values(), *NINE_X_ONLY.values()]:
        assert word in page, f"docs/compatibility.md does not list the INF difference {word}"


def test_the_rendered_inf_parses_the_same() -> None:
    """Stamping only sets DriverVer and the decoration: the facts stay those compared."""
    product = versioninfo.load()
    stamped = Inf(inf.render(template(), product, ARCHES["amd64"]).decode()).facts()
    unstamped = Inf(inf.substitute(template(), product.as_dict())).facts()
    decorated = {f for f in unstamped if f[0] == "Manufacturer"}
    assert stamped - unstamped == {("Manufacturer", f[1], "NTamd64") for f in decorated}
