"""RFC 3161 timestamping: servers with fail-over, retries and back-off, through a proxy.

Every signing tool gets the same behaviour the same way: the tool is pointed at a relay on
loopback (``http://127.0.0.1:<port>/``) that this process runs while the tool works. The relay
takes the tool's RFC 3161 request, checks it, and sends it to the servers in order
(``TAP_TIMESTAMP_URLS``, space-separated, or :data:`DEFAULT_URLS`), through the proxy that
applies (``--proxy URL``, else ``HTTPS_PROXY``/``HTTP_PROXY``, minus ``NO_PROXY``), read when
signing starts, so a changed setting works at once, without restarting a shell. A server's
answer is used only when it grants a token for exactly the request's hash (and nonce); any
failure moves on to the next server; after a whole round fails the relay waits
(``backoff`` seconds, doubling) and starts again, ``rounds`` times in all. Tools such as
signtool, which cannot take a proxy, and osslsigncode, which can, behave identically.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
from asn1crypto import tsp

from tapbuild.errors import TapError

# Public RFC 3161 services (HTTP, no account needed), tried in this order.
DEFAULT_URLS: tuple[str, ...] = (
    "http://timestamp.digicert.com",
    "http://timestamp.sectigo.com",
    "http://timestamp.globalsign.com/tsa/r6advanced1",
    "http://ts.ssl.com",
    "http://timestamp.acs.microsoft.com",
)

ENV_URLS = "TAP_TIMESTAMP_URLS"


def redact(url: str) -> str:
    """``url`` without a password in its user part (for logs and errors)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
    except ValueError:  # malformed (e.g. a broken [IPv6] host): mask what could be one
        return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _url_problem(url: str, proxy: bool) -> str | None:
    """What is wrong with an http(s) URL (a proxy's: no path either), or None."""
    if not url or any(c.isspace() for c in url):
        return "it is empty or holds a space"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            return "the port is not a number from 1 to 65535"
        return "it is not a well-formed URL"
    if parts.scheme not in ("http", "https"):
        return f"the scheme is {parts.scheme or 'missing'}"
    if not host:
        return "it names no host"
    if port == 0:
        return "the port is not a number from 1 to 65535"
    if proxy and (parts.path not in ("", "/") or parts.query or parts.fragment):
        return "a proxy URL is a host and port, without a path"
    return None


def _check_url(url: str, what: str, proxy: bool = False) -> str:
    problem = _url_problem(url, proxy)
    if problem is not None:
        example = "http://HOST:PORT" if proxy else "http://timestamp.example.com"
        raise TapError(
            f"{what} {redact(url)!r}: expected an http:// or https:// URL such as {example} "
            f"({problem})"
        )
    return url


def check_proxy(value: str, what: str = "--proxy") -> str:
    """A proxy setting (``--proxy`` or a variable named by ``what``) as a URL; ``host:port``
    means ``http://host:port``. One line when it is malformed, before anything is sent."""
    return _check_url(value if "://" in value else "http://" + value, what, proxy=True)


def urls_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if environ is None else environ
    value = env.get(ENV_URLS, "").split()
    if not value:
        return DEFAULT_URLS
    return tuple(_check_url(u, ENV_URLS) for u in value)


def proxy_for(
    url: str, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The proxy to reach ``url`` through, or None for a direct connection.

    ``explicit`` (``--proxy``) wins over the environment; ``NO_PROXY`` applies to both.
    Either of HTTPS_PROXY/HTTP_PROXY serves both kinds of URL; the one matching the URL's
    scheme is preferred.
    """
    env = os.environ if environ is None else environ
    host = urlsplit(url).hostname or ""
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    if _bypass(host, no_proxy):
        return None
    if explicit:
        chosen, what = explicit, "--proxy"
    else:
        order = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
        if urlsplit(url).scheme == "http":
            order = order[2:] + order[:2]
        what = next((k for k in order if env.get(k)), "")
        chosen = env.get(what, "") if what else ""
    if not chosen:
        return None
    return check_proxy(chosen, what)


def _bypass(host: str, no_proxy: str) -> bool:
    """NO_PROXY as curl reads it: ``*``, or host names and domain suffixes (``.corp`` or
    ``corp``), optionally with a port, comma or space separated."""
    host = host.lower().rstrip(".")
    for raw in no_proxy.replace(",", " ").split():
        entry = raw.strip().lower()
        if entry == "*":
            return True
        if entry.startswith("[") and "]" in entry:  # [::1]:port
            entry = entry[1 : entry.index("]")]
        elif entry.count(":") == 1:
            entry = entry.split(":", 1)[0]
        entry = entry.lstrip(".").rstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


@dataclass
class Attempt:
    url: str
    error: str  # what failed
    proxy: str | None = None  # the proxy it went through

    def describe(self) -> str:
        """``<server> through proxy <proxy>: <what failed>`` (passwords masked)."""
        via = f" through proxy {redact(self.proxy)}" if self.proxy else ""
        return f"{redact(self.url)}{via}: {self.error}"


@dataclass
class TsaClient:
    """Sends RFC 3161 requests to a list of servers with fail-over, retries and back-off."""

    urls: Sequence[str]
    proxy: str | None = None  # --proxy; None: from the environment
    rounds: int = 3
    backoff: float = 2.0
    timeout: float = 20.0  # per request; public servers answer within a second or two
    environ: Mapping[str, str] | None = None
    attempts: list[Attempt] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)
    # Hears every failed attempt (server, proxy, what failed) and every wait before a round.
    log: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if not self.urls:
            raise TapError(f"no time-stamp server: set {ENV_URLS} to one or more URLs")
        for u in self.urls:
            _check_url(u, "time-stamp server")
        if self.proxy:
            check_proxy(self.proxy)
        for u in self.urls:
            proxy_for(u, self.proxy, self.environ)  # a malformed proxy variable: said now

    def request(self, query: bytes) -> bytes:
        """The DER TimeStampResp for ``query`` (a DER TimeStampReq) from the first server
        that grants a matching token."""
        try:
            req = tsp.TimeStampReq.load(query)
            imprint = req["message_imprint"].dump()
            nonce = req["nonce"].native
        except (ValueError, TypeError, KeyError):
            raise TapError("time-stamp request: not an RFC 3161 TimeStampReq") from None
        session = requests.Session()
        session.trust_env = False
        delay = self.backoff
        for round_no in range(self.rounds):
            for url in self.urls:
                proxy = proxy_for(url, self.proxy, self.environ)
                proxies = {"http": proxy, "https": proxy} if proxy else {}
                try:
                    resp = session.post(
                        url,
                        data=query,
                        headers={"Content-Type": "application/timestamp-query"},
                        proxies=proxies,
                        timeout=self.timeout,
                    )
                    if resp.status_code != 200:
                        raise ValueError(_status(resp.status_code, proxy))
                    _check_reply(resp.content, imprint, nonce)
                except (requests.RequestException, ValueError) as exc:
                    attempt = Attempt(url, _what_failed(exc, proxy), proxy)
                    self.attempts.append(attempt)
                    self._say(
                        f"time-stamp round {round_no + 1}/{self.rounds}: {attempt.describe()}"
                    )
                    continue
                self.answered_by.append(url)
                return resp.content
            if round_no + 1 < self.rounds:
                self._say(f"time-stamp: no server answered; round {round_no + 2} in {delay:g} s")
                time.sleep(delay)
                delay *= 2
        raise TapError(self.failure())

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def failure(self) -> str:
        tried = "; ".join(a.describe() for a in self.attempts[-len(self.urls) :])
        return (
            f"no time-stamp server answered ({self.rounds} rounds): {tried}; set "
            f"{ENV_URLS} or the proxy (--proxy, HTTPS_PROXY/HTTP_PROXY)"
        )


def _status(code: int, proxy: str | None) -> str:
    if proxy and code == 407:
        return "the proxy asks for a login (HTTP 407); give it as http://USER:PASSWORD@HOST:PORT"
    if proxy and code in (502, 503, 504):
        return f"HTTP {code} (the proxy could not reach the server, or the server is down)"
    return f"HTTP {code}"


def _cause(text: str) -> str:
    """Why a connection failed, from the text of requests' exception (never shown itself)."""
    for pattern, why in (
        (r"refused", "connection refused"),
        (r"resolve|Name or service not known|getaddrinfo|nodename", "host name not found"),
        (r"timed out", "timed out"),
        (r"unreachable", "network unreachable"),
        (r"reset", "connection reset"),
    ):
        if re.search(pattern, text, re.IGNORECASE):
            return why
    return "connection failed"


def _what_failed(exc: BaseException, proxy: str | None) -> str:
    """One short phrase for a failed attempt: what failed, and where (proxy or server)."""
    if isinstance(exc, ValueError) and not isinstance(exc, requests.RequestException):
        return str(exc)  # ours: a status, a reply that is no token for this request
    text = str(exc)
    if isinstance(exc, requests.exceptions.ProxyError):
        tunnel = re.search(r"Tunnel connection failed: ([^'\"()]+)", text)
        if tunnel:
            return (
                "the proxy could not open a tunnel to the server "
                f"(CONNECT answered {tunnel.group(1).strip()})"
            )
        return f"cannot connect to the proxy ({_cause(text)})"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake with the server failed (certificate or protocol)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timed out connecting to the proxy" if proxy else "timed out connecting"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.ConnectionError):
        if proxy and isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return (
                "the proxy dropped the connection without an answer (it may not reach the server)"
            )
        if proxy:
            return f"the connection through the proxy failed ({_cause(text)})"
        return f"cannot connect ({_cause(text)})"
    return f"request failed ({exc.__class__.__name__})"


def _check_reply(data: bytes, imprint: bytes, nonce: int | None) -> None:
    """Accept only a granted token for exactly this request (ValueError otherwise)."""
    try:
        resp = tsp.TimeStampResp.load(data)
        status = resp["status"]["status"].native
        token = resp["time_stamp_token"]
        tst = None
        if status in ("granted", "granted_with_mods"):
            tst = token["content"]["encap_content_info"]["content"].parsed
            tst_imprint = tst["message_imprint"].dump()
            tst_nonce = tst["nonce"].native
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("not an RFC 3161 reply") from None
    if tst is None:
        raise ValueError(f"server refused ({status})")
    if tst_imprint != imprint:
        raise ValueError("token for another hash")
    if nonce is not None and tst_nonce != nonce:
        raise ValueError("token with another nonce")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _RelayServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            reply = self.server.client.request(body)
        except TapError as exc:
            self.server.errors.append(str(exc))
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the relay is quiet; failures are reported by the caller


class _RelayServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, client: TsaClient) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.client = client
        self.errors: list[str] = []


@dataclass
class Relay:
    url: str
    server: _RelayServer

    @property
    def errors(self) -> list[str]:
        return self.server.errors

    def last_error(self) -> str | None:
        return self.server.errors[-1] if self.server.errors else None


@contextlib.contextmanager
def relay(client: TsaClient) -> Iterator[Relay]:
    """Run a loopback relay for ``client`` while the block runs; yields its URL."""
    server = _RelayServer(client)
    thread = threading.Thread(target=server.serve_forever, name="tsa-relay", daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield Relay(f"http://127.0.0.1:{port}/", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
