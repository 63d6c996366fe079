"""What a failed timestamp says: which server, through which proxy, what failed (never an
exception's raw text); a malformed proxy refused before anything is sent. A real proxy
(tinyproxy), a real RFC 3161 responder, real osslsigncode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from signtest_util import Proxy, Tsa, free_port, pfx_env, tree_bytes
from tapbuild.cli import package
from tapbuild.errors import TapError
from tapbuild.sign import signer, timestamp
from tapbuild.sign.testcert import CertFiles
from tapbuild.sign.timestamp import TsaClient
from test_timestamp import query

ROOT = Path(__file__).resolve().parents[2]
RAW = ("Error", "Errno", "Pool", "Max retries", "Connection broken", "Caused by")


def _failure(client: TsaClient) -> str:
    with pytest.raises(TapError) as err:
        client.request(query())
    text = str(err.value)
    assert "\n" not in text and not any(r in text for r in RAW), text
    return text


@pytest.mark.tool("tinyproxy")
def test_a_dead_server_behind_a_working_proxy(proxy: Proxy, dead_url: str) -> None:
    text = _failure(TsaClient([dead_url], proxy.url, rounds=1, environ={}))
    assert f"{dead_url} through proxy {proxy.url}: the proxy " in text


@pytest.mark.tool("tinyproxy")
def test_an_https_server_the_proxy_cannot_reach(proxy: Proxy) -> None:
    url = f"https://127.0.0.1:{free_port()}/tsa"
    text = _failure(TsaClient([url], rounds=1, environ={"HTTPS_PROXY": proxy.url}))
    assert f"{url} through proxy {proxy.url}: the proxy could not open a tunnel to the " in text
    assert "(CONNECT answered 5" in text


def test_a_dead_proxy(dead_url: str) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    text = _failure(TsaClient([dead_url], dead_proxy, rounds=1, environ={}))
    assert (
        f"{dead_url} through proxy {dead_proxy}: cannot connect to the proxy (connection " in text
    )


def test_direct_failures_name_no_proxy(dead_url: str) -> None:
    text = _failure(TsaClient([dead_url], rounds=1, environ={}))
    assert f"{dead_url}: cannot connect (connection refused)" in text and "through" not in text


@pytest.mark.tool("osslsigncode", "openssl", "tinyproxy")
def test_signing_through_the_proxy_past_a_dead_server_says_it(
    make_dist, test_cert: CertFiles, tsa: Tsa, proxy: Proxy, dead_url: str
) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    options = signer.SignOptions(proxy=proxy.url, tsa_ca=(tsa.ca_pem,), ts_rounds=1)
    with pytest.raises(TapError) as err:
        signer.sign_dist(dist, options, pfx_env(test_cert, dead_url))
    text = str(err.value)
    assert text.startswith("no time-stamp server answered (1 rounds): ")
    assert f"{dead_url} through proxy {proxy.url}: the proxy " in text
    assert not any(r in text for r in RAW), text
    assert tree_bytes(dist) == before


MALFORMED = {
    "http://127.0.0.1:abc": "the port is not a number from 1 to 65535",
    "http://127.0.0.1:99999": "the port is not a number from 1 to 65535",
    "proxy.example:0": "the port is not a number from 1 to 65535",
    "http://[::1": "it is not a well-formed URL",
    "socks5://127.0.0.1:1080": "the scheme is socks5",
    "http://127.0.0.1:3128/path": "a proxy URL is a host and port, without a path",
    "http://": "it names no host",
    "http://proxy example:3128": "it is empty or holds a space",
}


@pytest.mark.parametrize("value", list(MALFORMED))
def test_malformed_proxies(value: str) -> None:
    with pytest.raises(TapError) as err:
        signer.SignOptions(proxy=value).check()
    assert str(err.value).startswith("--proxy '")
    assert str(err.value).endswith(f"expected an http:// or https:// URL such as "
                                   f"http://HOST:PORT ({MALFORMED[value]})")  # fmt: skip
    with pytest.raises(TapError, match=rf"^HTTPS_PROXY .*\({MALFORMED[value]}\)$"):
        TsaClient(["https://ts.example/"], environ={"HTTPS_PROXY": value})


@pytest.mark.parametrize(
    "value", ["proxy.example:3128", "http://u:pw@proxy.example:3128/", "https://[::1]:8443"]
)
def test_well_formed_proxies(value: str) -> None:
    signer.SignOptions(proxy=value).check()
    assert timestamp.proxy_for("http://ts.example/", value, {}) is not None


@pytest.mark.tool("osslsigncode", "openssl")
def test_nox_sign_refuses_a_malformed_proxy_before_anything(
    make_dist, test_cert: CertFiles, tsa: Tsa, tsa_requests
) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    for args, env in (
        (["--proxy", "http://127.0.0.1:abc"], pfx_env(test_cert, tsa.url)),
        ([], pfx_env(test_cert, tsa.url, HTTP_PROXY="http://127.0.0.1:abc")),
    ):
        res = subprocess.run(
            [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "sign", "--",
             "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), *args],
            capture_output=True, text=True, env=env, check=False, cwd=ROOT,
        )  # fmt: skip
        assert res.returncode != 0
        [line] = [ln for ln in res.stderr.splitlines() if "Session sign" in ln]
        name = "--proxy" if args else "HTTP_PROXY"
        assert f"{name} 'http://127.0.0.1:abc': expected an http:// or https:// URL" in line
        assert "signed" not in res.stderr
    assert tsa_requests == [] and tree_bytes(dist) == before


def test_package_refuses_a_malformed_proxy_first(make_dist, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(TapError, match=r"^--proxy 'http://127.0.0.1:abc': expected"):
        package.package_main(
            ["--dist", str(make_dist(("amd64",))), "--out", str(out), "--proxy",
             "http://127.0.0.1:abc"],
            log=lambda _line: None,
        )  # fmt: skip
    assert not out.exists()
