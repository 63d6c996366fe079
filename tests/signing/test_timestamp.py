"""RFC 3161 client and loopback relay: proxy choice, fail-over, retries, answer checks."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from asn1crypto import algos, tsp
from signtest_util import Proxy, Tsa
from tapbuild import toolrun
from tapbuild.errors import TapError
from tapbuild.sign import timestamp
from tapbuild.sign.timestamp import TsaClient, proxy_for


def query(data: bytes = b"file", nonce: int | None = 7) -> bytes:
    req = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "hashed_message": hashlib.sha256(data).digest(),
        },
        "cert_req": True,
    }
    if nonce is not None:
        req["nonce"] = nonce
    return tsp.TimeStampReq(req).dump()


@pytest.mark.parametrize(
    ("url", "env", "explicit", "want"),
    [
        ("http://ts.example/", {}, None, None),
        ("http://ts.example/", {"HTTP_PROXY": "http://p:3128"}, None, "http://p:3128"),
        ("http://ts.example/", {"http_proxy": "p:3128"}, None, "http://p:3128"),
        # either variable serves both kinds of URL; the matching one wins
        ("http://ts.example/", {"HTTPS_PROXY": "http://s:1"}, None, "http://s:1"),
        ("https://ts.example/", {"HTTPS_PROXY": "http://s:1", "HTTP_PROXY": "http://p:2"}, None,
         "http://s:1"),
        ("http://ts.example/", {"HTTPS_PROXY": "http://s:1", "HTTP_PROXY": "http://p:2"}, None,
         "http://p:2"),
        # --proxy wins over the environment; NO_PROXY applies to both
        ("http://ts.example/", {"HTTP_PROXY": "http://p:2"}, "http://cli:9", "http://cli:9"),
        ("http://ts.example/", {"NO_PROXY": ".example", "HTTP_PROXY": "http://p:2"}, None, None),
        ("http://ts.example/", {"no_proxy": "ts.example"}, "http://cli:9", None),
        ("http://ts.other/", {"NO_PROXY": "ts.example,localhost"}, "http://cli:9", "http://cli:9"),
        ("http://ts.example/", {"NO_PROXY": "*", "HTTP_PROXY": "http://p:2"}, None, None),
    ],
)  # fmt: skip
def test_proxy_for(url: str, env: dict[str, str], explicit: str | None, want: str | None) -> None:
    assert proxy_for(url, explicit, env) == want


def test_bad_urls() -> None:
    with pytest.raises(TapError, match="TAP_TIMESTAMP_URLS 'ftp://x': expected an http"):
        timestamp.urls_from_environment({"TAP_TIMESTAMP_URLS": "http://ok ftp://x"})
    with pytest.raises(TapError, match=r"proxy 'socks5://u:\*\*\*@h:1': expected an http"):
        proxy_for("http://ts/", "socks5://u:pw@h:1", {})
    assert timestamp.urls_from_environment({}) == timestamp.DEFAULT_URLS
    assert timestamp.urls_from_environment({"TAP_TIMESTAMP_URLS": " http://a  http://b "}) == (
        "http://a",
        "http://b",
    )


def test_redact() -> None:
    assert timestamp.redact("http://user:s3cr3t@proxy:8080/x") == "http://user:***@proxy:8080/x"
    assert timestamp.redact("http://proxy:8080") == "http://proxy:8080"


def test_tool_environment_has_no_proxy_or_secret() -> None:
    env = toolrun.tool_environment(
        {"PATH": "/bin", "HTTP_PROXY": "x", "https_proxy": "y", "NO_PROXY": "z",
         "TAP_SIGN_PASSWORD": "pw", "TAP_SIGN_PFX": "a.pfx"}
    )  # fmt: skip
    assert env == {"PATH": "/bin", "TAP_SIGN_PFX": "a.pfx"}


@pytest.mark.tool("openssl")
def test_direct_request(tsa: Tsa) -> None:
    client = TsaClient([tsa.url], environ={})
    reply = tsp.TimeStampResp.load(client.request(query()))
    assert reply["status"]["status"].native == "granted"
    assert client.answered_by == [tsa.url]


@pytest.mark.tool("openssl", "tinyproxy")
def test_fail_over_through_the_proxy(tsa: Tsa, tsa_requests, proxy: Proxy, dead_url) -> None:
    client = TsaClient([dead_url, tsa.url], proxy.url, rounds=1, environ={})
    client.request(query())
    assert client.answered_by == [tsa.url]
    assert [(a.url, a.proxy) for a in client.attempts] == [(dead_url, proxy.url)]
    assert client.attempts[0].describe().startswith(f"{dead_url} through proxy {proxy.url}: ")
    assert "tinyproxy" in tsa_requests[-1]["via"]


@pytest.mark.tool("openssl", "tinyproxy")
def test_proxy_from_environment(tsa: Tsa, tsa_requests, proxy: Proxy) -> None:
    TsaClient([tsa.url], environ={"HTTP_PROXY": proxy.url}).request(query())
    assert "tinyproxy" in tsa_requests[-1]["via"]
    TsaClient([tsa.url], environ={"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"}).request(
        query()
    )
    assert "via" not in tsa_requests[-1]


@pytest.fixture
def fake_tsa() -> Iterator[Callable[[bytes, int], str]]:
    """HTTP servers answering every POST with fixed bytes and status."""
    servers: list[http.server.HTTPServer] = []

    def start(body: bytes, status: int = 200) -> str:
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}/"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.mark.tool("openssl")
def test_wrong_answers_move_on(tsa: Tsa, fake_tsa) -> None:
    garbage = fake_tsa(b"<html>captive portal</html>", 200)
    error = fake_tsa(b"busy", 503)
    other_hash = fake_tsa(TsaClient([tsa.url], environ={}).request(query(b"other")), 200)
    client = TsaClient([garbage, error, other_hash, tsa.url], rounds=1, environ={})
    client.request(query(b"mine"))
    assert client.answered_by == [tsa.url]
    assert [a.error for a in client.attempts] == [
        "not an RFC 3161 reply",
        "HTTP 503",
        "token for another hash",
    ]


def test_all_rounds_fail_one_line(dead_url: str, fake_tsa) -> None:
    bad = fake_tsa(b"", 500)
    client = TsaClient([dead_url, bad], rounds=3, backoff=0.01, environ={})
    with pytest.raises(TapError) as err:
        client.request(query())
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("no time-stamp server answered (3 rounds): ")
    assert f"{dead_url}: cannot connect" in msg and f"{bad}: HTTP 500" in msg
    assert len(client.attempts) == 6  # every server, every round


def test_every_retry_is_logged_with_server_and_reason(dead_url: str, fake_tsa) -> None:
    """A slow fail-over is never silent: each failed attempt and each wait is said."""
    bad = fake_tsa(b"", 500)
    heard: list[str] = []
    client = TsaClient([dead_url, bad], rounds=2, backoff=0.01, environ={}, log=heard.append)
    with pytest.raises(TapError):
        client.request(query())
    assert heard == [
        f"time-stamp round 1/2: {dead_url}: cannot connect (connection refused)",
        f"time-stamp round 1/2: {bad}: HTTP 500",
        "time-stamp: no server answered; round 2 in 0.01 s",
        f"time-stamp round 2/2: {dead_url}: cannot connect (connection refused)",
        f"time-stamp round 2/2: {bad}: HTTP 500",
    ], heard


def test_proxy_password_never_shown(dead_url: str) -> None:
    client = TsaClient([dead_url], "http://alice:Pr0xyPass@127.0.0.1:9/", rounds=1, environ={})
    with pytest.raises(TapError) as err:
        client.request(query())
    assert "Pr0xyPass" not in str(err.value) and "alice:***@" in str(err.value)


def test_not_a_request() -> None:
    with pytest.raises(TapError, match="not an RFC 3161 TimeStampReq"):
        TsaClient(["http://127.0.0.1:9/"], environ={}).request(b"hello")


@pytest.mark.tool("openssl")
def test_relay(tsa: Tsa, dead_url: str) -> None:
    """What a signing tool sees: a plain HTTP TSA on loopback, whatever is behind it."""
    with timestamp.relay(TsaClient([dead_url, tsa.url], rounds=1, environ={})) as relay:
        assert relay.url.startswith("http://127.0.0.1:")
        r = requests.post(relay.url, data=query(), timeout=30,
                          headers={"Content-Type": "application/timestamp-query"},
                          proxies={"http": "", "https": ""})  # fmt: skip
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/timestamp-reply"
        assert tsp.TimeStampResp.load(r.content)["status"]["status"].native == "granted"
    with timestamp.relay(TsaClient([dead_url], rounds=1, environ={})) as relay:
        r = requests.post(relay.url, data=query(), timeout=30, proxies={"http": "", "https": ""})
        assert r.status_code == 502
        assert relay.last_error() is not None and dead_url in relay.last_error()


def test_environment_is_read_when_signing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """No shell restart: a changed variable is seen by the next call."""
    monkeypatch.setenv("HTTPS_PROXY", "http://first:1")
    assert proxy_for("https://ts/") == "http://first:1"
    monkeypatch.setenv("HTTPS_PROXY", "http://second:2")
    assert proxy_for("https://ts/") == "http://second:2"
    assert os.environ["HTTPS_PROXY"] == "http://second:2"
