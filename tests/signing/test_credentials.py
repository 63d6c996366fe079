"""TAP_SIGN_* credentials: what is accepted, one-line errors, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from tapbuild.errors import TapError
from tapbuild.sign import credentials
from tapbuild.sign.credentials import PfxKey, Pkcs11Key, StoreKey, from_environment
from tapbuild.sign.testcert import CertFiles
from tapbuild.toolrun import Secret


def pfx_vars(cert: CertFiles) -> dict[str, str]:
    return {"TAP_SIGN_PFX": str(cert.pfx), "TAP_SIGN_PASSWORD_FILE": str(cert.password_file)}


def test_pfx_with_password_file(test_cert: CertFiles) -> None:
    creds = from_environment(pfx_vars(test_cert))
    assert isinstance(creds.key, PfxKey)
    assert creds.key.thumbprint == test_cert.thumbprint
    assert creds.certificate is not None
    password = test_cert.password_file.read_text().strip()
    assert password not in repr(creds) and password not in credentials.describe(creds)


def test_pfx_with_password_variable(test_cert: CertFiles) -> None:
    password = test_cert.password_file.read_text().strip()
    creds = from_environment({"TAP_SIGN_PFX": str(test_cert.pfx), "TAP_SIGN_PASSWORD": password})
    assert isinstance(creds.key, PfxKey) and creds.key.password.reveal() == password


@pytest.mark.parametrize("how", ["file", "variable"])
def test_wrong_password(test_cert: CertFiles, tmp_path: Path, how: str) -> None:
    env = {"TAP_SIGN_PFX": str(test_cert.pfx)}
    if how == "file":
        (tmp_path / "pw").write_text("Wr0ng-Passw0rd\n")
        env["TAP_SIGN_PASSWORD_FILE"] = str(tmp_path / "pw")
    else:
        env["TAP_SIGN_PASSWORD"] = "Wr0ng-Passw0rd"
    with pytest.raises(TapError) as err:
        from_environment(env)
    msg = str(err.value)
    assert "wrong password or not a PKCS#12 file" in msg
    assert "Wr0ng" not in msg and "\n" not in msg


def test_no_password_set(test_cert: CertFiles) -> None:
    with pytest.raises(TapError) as err:
        from_environment({"TAP_SIGN_PFX": str(test_cert.pfx)})
    assert str(err.value) == (
        f"TAP_SIGN_PFX={test_cert.pfx}: needs a password (or is not a PKCS#12 file); set "
        "TAP_SIGN_PASSWORD_FILE (or TAP_SIGN_PASSWORD)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no signing credentials: set TAP_SIGN_PFX"),
        ({"TAP_SIGN_PFX": "/nonexistent.pfx"}, "TAP_SIGN_PFX=/nonexistent.pfx: no such file"),
        ({"TAP_SIGN_SUBJECT": "X", "TAP_SIGN_PKCS11_MODULE": "{module}"},
         "TAP_SIGN_PKCS11_MODULE and TAP_SIGN_SUBJECT are both set"),
        ({"TAP_SIGN_PKCS11_MODULE": "{module}"},
         "TAP_SIGN_PKCS11_MODULE is set, so TAP_SIGN_PKCS11_CERT and TAP_SIGN_PKCS11_KEY must"),
        ({"TAP_SIGN_PKCS11_MODULE": "{module}", "TAP_SIGN_PKCS11_CERT": "pkcs11:object=c",
          "TAP_SIGN_PKCS11_KEY": "/path/key.pem"}, "TAP_SIGN_PKCS11_KEY: expected a pkcs11: URI"),
        ({"TAP_SIGN_PKCS11_MODULE": "{module}", "TAP_SIGN_PKCS11_CERT": "pkcs11:object=c",
          "TAP_SIGN_PKCS11_KEY": "pkcs11:object=k;pin-value=1234"},
         "TAP_SIGN_PKCS11_KEY: the URI holds a PIN; remove it and put the PIN in TAP_SIGN_PIN_FILE"),
        ({"TAP_SIGN_SUBJECT": "X", "TAP_SIGN_CROSSCERT": "{module}"},
         "TAP_SIGN_CROSSCERT={module}: not a certificate"),
    ],
)  # fmt: skip
def test_bad_credentials(tmp_path: Path, env: dict[str, str], message: str) -> None:
    module = tmp_path / "module.so"
    module.write_bytes(b"\x7fELF")
    env = {k: v.replace("{module}", str(module)) for k, v in env.items()}
    with pytest.raises(TapError) as err:
        from_environment(env)
    assert str(err.value).startswith(message.replace("{module}", str(module)))
    assert "1234" not in str(err.value) and "\n" not in str(err.value)


@pytest.mark.tool("softhsm2-util", "p11tool")
def test_pkcs11(tmp_path: Path, test_cert: CertFiles, softhsm) -> None:
    pin = tmp_path / "pin"
    pin.write_text("4711\n")
    env = {
        "TAP_SIGN_PKCS11_MODULE": str(softhsm.module),  # loaded: it must be a PKCS#11 module
        "TAP_SIGN_PKCS11_CERT": "pkcs11:object=c",
        "TAP_SIGN_PKCS11_KEY": "pkcs11:object=k;type=private",
        "TAP_SIGN_PIN_FILE": str(pin),
    }
    creds = from_environment(env)
    assert isinstance(creds.key, Pkcs11Key)
    assert creds.key.pin is not None and creds.key.pin.reveal() == "4711"
    assert creds.key.cert_is_uri and creds.certificate is None
    # the certificate may also be a file
    creds = from_environment({**env, "TAP_SIGN_PKCS11_CERT": str(test_cert.cer)})
    assert creds.certificate == test_cert.cer.read_bytes()


def test_store_subject_or_thumbprint() -> None:
    assert not StoreKey("OpenVPN Inc.").is_thumbprint
    assert StoreKey("ab" * 20).is_thumbprint
    key = from_environment({"TAP_SIGN_SUBJECT": "OpenVPN Inc."}).key
    assert key == StoreKey("OpenVPN Inc.")


def test_secret_is_never_shown() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in f"{s} {s!r} {[s]}"
    assert s.reveal() == "hunter2"
