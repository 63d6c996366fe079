"""Fixtures for the signing tests: real PE files (zig), a dist/ layout, test certificates,
a real RFC 3161 responder (``openssl ts`` behind a loopback HTTP server), a real HTTP proxy
(tinyproxy) and a SoftHSM2 token for PKCS#11."""

from __future__ import annotations

import datetime
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pki import PrivateCa
from signtest_util import Proxy, Token, Tsa, free_port
from tapbuild.sign import testcert
from tools import require

ROOT = Path(__file__).resolve().parents[2]
ARCH_TARGETS = {
    "i386": "x86-windows-gnu",
    "amd64": "x86_64-windows-gnu",
    "arm64": "aarch64-windows-gnu",
}

INF_TEXT = """; test package
[Version]
Signature   = "$Windows NT$"
Class       = Net
ClassGUID   = {{4d36e972-e325-11ce-bfc1-08002be10318}}
Provider    = %Provider%
CatalogFile = tap0901.cat
DriverVer   = 09/27/2026,9.27.0.0

[Manufacturer]
%Provider% = TapModels, NT{deco}

[TapModels.NT{deco}]
%DeviceDescription% = TapInstall, root\\tap0901
%DeviceDescription% = TapInstall, tap0901

[Strings]
Provider = "TAP-Windows Provider V9"
DeviceDescription = "TAP-Windows Adapter V9"
"""
DECORATION = {"i386": "x86", "amd64": "amd64", "arm64": "arm64"}


# --- PE files ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pe_files(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """A small real driver image (.sys) and program (.exe) per arch, built once with zig."""
    out = tmp_path_factory.mktemp("pe")
    src = out / "entry.c"
    src.write_text(
        "int counter;\n"
        "long Entry(void *a, void *b) { counter += (int)(long long)a; return counter; }\n"
    )
    files: dict[tuple[str, str], Path] = {}
    for arch, target in ARCH_TARGETS.items():
        for kind, extra in (
            ("sys", ["-shared", "-Wl,--subsystem,native"]),
            ("exe", ["-Wl,--subsystem,console"]),
        ):
            dst = out / f"{arch}.{kind}"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ziglang",
                    "cc",
                    "-target",
                    target,
                    "-O1",
                    "-nostdlib",
                    *extra,
                    "-Wl,-e,Entry",
                    "-o",
                    str(dst),
                    str(src),
                ],
                check=True,
                capture_output=True,
            )
            files[(arch, kind)] = dst
    return files


DistMaker = Callable[..., Path]


@pytest.fixture
def make_dist(pe_files: dict[tuple[str, str], Path], tmp_path: Path) -> DistMaker:
    """dist/<arch>/{OemVista.inf, tap0901.sys, tapinstall.exe} for the given arches."""

    def make(arches: tuple[str, ...] = ("i386", "amd64", "arm64"), name: str = "dist") -> Path:
        dist = tmp_path / name
        for arch in arches:
            d = dist / arch
            d.mkdir(parents=True)
            shutil.copy(pe_files[(arch, "sys")], d / "tap0901.sys")
            shutil.copy(pe_files[(arch, "exe")], d / "tapinstall.exe")
            text = INF_TEXT.format(deco=DECORATION[arch])
            (d / "OemVista.inf").write_bytes(text.replace("\n", "\r\n").encode())
        (dist / "include").mkdir(exist_ok=True)
        (dist / "include" / "tap-windows.h").write_text("#pragma once\n")
        return dist

    return make


# --- certificates ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def test_cert(tmp_path_factory: pytest.TempPathFactory) -> testcert.CertFiles:
    return testcert.make(tmp_path_factory.mktemp("cert"), key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _tsa_files(d: Path) -> tuple[Path, Path]:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA Root"))
        .issuer_name(_name("Test TSA Root"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "tsa.pem").write_bytes(cert.public_bytes(pem))
    (d / "tsa.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (d / "serial").write_text("01\n")
    cnf = d / "tsa.cnf"
    cnf.write_text(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
        f"serial = {d}/serial\ncrypto_device = builtin\nsigner_cert = {d}/tsa.pem\n"
        f"certs = {d}/ca.pem\nsigner_key = {d}/tsa.key\nsigner_digest = sha256\n"
        "default_policy = 1.2.3.4.1\ndigests = sha1, sha256, sha384, sha512\n"
        "accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\n"
        "ess_cert_id_alg = sha256\n"
    )
    return cnf, d / "ca.pem"


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    """A real RFC 3161 responder: ``openssl ts -reply`` behind an HTTP server on loopback."""
    require("openssl")
    d = tmp_path_factory.mktemp("tsa")
    cnf, ca = _tsa_files(d)
    lock = threading.Lock()
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({k.lower(): v for k, v in self.headers.items()})
            with lock, tempfile.TemporaryDirectory() as t:
                q, r = Path(t) / "q.tsq", Path(t) / "r.tsr"
                q.write_bytes(body)
                p = subprocess.run(
                    [
                        "openssl",
                        "ts",
                        "-reply",
                        "-config",
                        str(cnf),
                        "-queryfile",
                        str(q),
                        "-out",
                        str(r),
                    ],
                    capture_output=True,
                    check=False,
                )
                data = r.read_bytes() if p.returncode == 0 else b""
            self.send_response(200 if data else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Tsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", ca, seen)
    server.shutdown()
    server.server_close()


@pytest.fixture
def tsa_requests(tsa: Tsa) -> list[dict[str, str]]:
    """The TSA's request log, emptied for this test."""
    tsa.requests.clear()
    return tsa.requests


@pytest.fixture(scope="session")
def dead_url() -> str:
    """A time-stamp URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/dead"


@pytest.fixture(scope="session")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """A real HTTP proxy on loopback: tinyproxy."""
    require("tinyproxy")
    exe = shutil.which("tinyproxy")
    assert exe is not None
    d = tmp_path_factory.mktemp("proxy")
    port = free_port()
    log = d / "tinyproxy.log"
    conf = d / "tinyproxy.conf"
    conf.write_text(
        f'Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogFile "{log}"\n'
        "LogLevel Info\nMaxClients 20\nDisableViaHeader No\n"
    )
    proc = subprocess.Popen(
        [exe, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("tinyproxy did not start")
    yield Proxy(f"http://127.0.0.1:{port}", log)
    proc.terminate()
    proc.wait(timeout=10)


# --- SoftHSM2 ---------------------------------------------------------------------------------

SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory, test_cert: testcert.CertFiles) -> Token:
    """A SoftHSM2 token holding the test certificate's key (label signkey) and the
    certificate (label signcert); the PIN in a file."""
    return make_token(tmp_path_factory.mktemp("hsm"), test_cert)


def make_token(d: Path, test_cert: testcert.CertFiles) -> Token:
    """A SoftHSM2 token in ``d`` holding the key and certificate of ``test_cert``."""
    module = next((Path(m) for m in SOFTHSM_MODULES if Path(m).is_file()), None)
    missing = [t for t in ("softhsm2-util", "p11tool") if shutil.which(t) is None]
    if module is None or missing:
        reason = f"needs softhsm2 and gnutls-bin (p11tool) {missing} (installed by .ci/run)"
        if os.environ.get("TAP_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from cryptography.hazmat.primitives.serialization import pkcs12

    (d / "tokens").mkdir()
    conf = d / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {d / 'tokens'}\nobjectstore.backend = file\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    pin = "4711"
    key, cert, _ = pkcs12.load_key_and_certificates(
        test_cert.pfx.read_bytes(), test_cert.password_file.read_text().strip().encode()
    )
    assert key is not None and cert is not None
    key_pem = d / "key.pem"
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_pem = d / "cert.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    run = {"env": env, "check": True, "capture_output": True}
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "tap",
            "--pin",
            pin,
            "--so-pin",
            "123456",
        ],
        **run,
    )
    subprocess.run(
        [
            "softhsm2-util",
            "--import",
            str(key_pem),
            "--token",
            "tap",
            "--label",
            "signkey",
            "--id",
            "01",
            "--pin",
            pin,
        ],
        **run,
    )
    subprocess.run(
        [
            "p11tool",
            "--provider",
            str(module),
            "--login",
            "--write",
            "--load-certificate",
            str(cert_pem),
            "--label",
            "signcert",
            "--id",
            "01",
            "pkcs11:token=tap",
        ],
        env={**env, "GNUTLS_PIN": pin},
        check=True,
        capture_output=True,
    )
    key_pem.unlink()
    pin_file = d / "pin.txt"
    pin_file.write_text(pin + "\n")
    return Token(
        module,
        conf,
        "pkcs11:token=tap;object=signcert;type=cert",
        "pkcs11:token=tap;object=signkey;type=private",
        pin_file,
        pin,
        cert_pem,
    )


# --- a private PKI ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCa:
    """A private root CA issuing code-signing certificates (good and faulty ones)."""
    return PrivateCa.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def expired_token(tmp_path_factory: pytest.TempPathFactory, private_ca: PrivateCa) -> Token:
    """A SoftHSM2 token whose certificate (from the private CA) expired yesterday."""
    cert = private_ca.issue("token-expired", valid_from=-60, valid_to=-1)
    return make_token(tmp_path_factory.mktemp("hsm-expired"), cert)
