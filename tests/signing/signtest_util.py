"""Helpers shared by the signing tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tapbuild import testcert

PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


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
