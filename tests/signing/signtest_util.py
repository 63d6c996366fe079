"""Helpers shared by the signing tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tapbuild.formats.der import children as der_children
from tapbuild.sign import testcert
from tapbuild.toolrun import PROXY_ENV as PROXY_VARS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@dataclass
class Tsa:
    url: str
    ca_pem: Path
    requests: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Proxy:
    url: str
    log: Path


@dataclass
class Token:
    module: Path
    conf: Path
    cert_uri: str
    key_uri: str
    pin_file: Path
    pin: str
    cert_pem: Path


def base_env(**extra: str) -> dict[str, str]:
    """This process's environment without proxy or TAP_SIGN_* variables, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXY_VARS and not k.startswith(("TAP_SIGN_", "TAP_TIMESTAMP"))
    }
    env.update(extra)
    return env


def pfx_env(cert: testcert.CertFiles, urls: str, **extra: str) -> dict[str, str]:
    env = {
        "TAP_SIGN_PFX": str(cert.pfx),
        "TAP_SIGN_PASSWORD_FILE": str(cert.password_file),
        "TAP_TIMESTAMP_URLS": urls,
    }
    env.update(extra)
    return base_env(**env)


def token_env(token: Token, urls: str, **extra: str) -> dict[str, str]:
    env = {
        "SOFTHSM2_CONF": str(token.conf),
        "TAP_SIGN_PKCS11_MODULE": str(token.module),
        "TAP_SIGN_PKCS11_CERT": token.cert_uri,
        "TAP_SIGN_PKCS11_KEY": token.key_uri,
        "TAP_SIGN_PIN_FILE": str(token.pin_file),
        "TAP_TIMESTAMP_URLS": urls,
    }
    env.update(extra)
    return base_env(**env)


def osslsigncode_verify(path: Path, ca: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["osslsigncode", "verify", "-CAfile", str(ca), *extra, "-in", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def env_has_no_proxy(env: Mapping[str, str]) -> bool:
    return not any(k in env for k in PROXY_VARS)


NESTED_SIGNATURE_OID = bytes.fromhex("060a2b060104018237020401")  # 1.3.6.1.4.1.311.2.4.1


def _signer_info_parts(der: bytes) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(SignedData fields but the signer infos, first SignerInfo's fields but the unsigned
    attributes, its unsigned attributes) of a catalog, as stored."""
    (sd,) = der_children(der_children(der)[1])
    fields = der_children(sd)
    si = der_children(der_children(fields[-1])[0])
    unsigned = der_children(si.pop()) if si[-1][0] == 0xA1 else []
    return fields[:-1], si, unsigned


def assert_outer_kept(before: bytes, after: bytes) -> int:
    """Catalog ``after`` is ``before`` plus nested signatures: the signed content, the
    certificates, the first signature and its other unsigned attributes (the timestamp) are
    byte-identical. Returns how many nested signatures ``after`` has."""
    old_sd, old_si, old_attrs = _signer_info_parts(before)
    new_sd, new_si, new_attrs = _signer_info_parts(after)
    assert new_sd == old_sd  # version, digest algorithms, the CTL, certificates
    assert new_si == old_si  # signer, digest, signed attributes, signature

    def nested(attr: bytes) -> bool:
        return der_children(attr)[0] == NESTED_SIGNATURE_OID

    assert [a for a in new_attrs if not nested(a)] == [a for a in old_attrs if not nested(a)]
    assert len([a for a in new_attrs if nested(a)]) == 1  # one attribute, a value per signature
    return len(nested_values(after))


def nested_values(der: bytes) -> list[bytes]:
    """The values of the nested-signature attribute of a catalog's first SignerInfo (the
    nested ContentInfos), as stored."""
    return [
        value
        for attr in _signer_info_parts(der)[2]
        if der_children(attr)[0] == NESTED_SIGNATURE_OID
        for value in der_children(der_children(attr)[1])
    ]
