"""Signing dist/ and single files: catalogs, Authenticode signatures, RFC 3161, verification.

The API other sessions use (packaging, release)::

    from tapbuild.sign import signer as signing

    signing.is_signed(path)                          # -> bool, any host, no tool needed
    signing.sign_files([installer], SignOptions())   # sign + timestamp + verify; skips signed
    signing.sign_dist(dist, SignOptions())           # the whole of dist/, as one transaction

Credentials come from ``TAP_SIGN_*`` (:mod:`tapbuild.sign.credentials`), time-stamp servers from
``TAP_TIMESTAMP_URLS`` and the proxy from ``--proxy``/``HTTPS_PROXY``/``HTTP_PROXY``/
``NO_PROXY`` (:mod:`tapbuild.sign.timestamp`). Every failure is a one-line :class:`TapError`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tapbuild import scratch, toolrun
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError, naming
from tapbuild.formats import authenticode
from tapbuild.sign import catalog, credentials, osslsigncode, signtool, timestamp
from tapbuild.sign.verification import Expectations, verify_files
from tapbuild.transaction import update_dir

DIGESTS = ("sha1", "sha256", "sha384", "sha512")
BACKENDS = ("auto", "osslsigncode", "signtool")
CATALOG_TOOLS = ("auto", "python", "inf2cat")
SIGNED_SUFFIXES = (".sys", ".exe", ".dll")  # in dist/<arch>/, besides the catalog

Log = Callable[[str], None]


@dataclass(frozen=True)
class SignOptions:
    digest: str = "sha256"
    force: bool = False  # regenerate catalogs, replace signatures
    append: bool = False  # add one more signature to signed files
    timestamp: bool = True
    backend: str = "auto"
    proxy: str | None = None
    ca: tuple[Path, ...] = ()  # extra trust anchors for verification
    tsa_ca: tuple[Path, ...] = ()
    os_targets: Mapping[str, tuple[catalog.OsTarget, ...]] | None = None
    member_hash: str | None = None
    catalog_tool: str = "auto"
    override: Path | None = None  # version override module (component id)
    ts_rounds: int = 3
    ts_backoff: float = 2.0

    def check(self) -> None:
        if self.force and self.append:
            raise TapError("--force and --append exclude each other; use one")
        if self.digest not in DIGESTS:
            raise TapError(f"--digest {self.digest}: accepted: {', '.join(DIGESTS)}")
        if self.backend not in BACKENDS:
            raise TapError(f"--backend {self.backend}: accepted: {', '.join(BACKENDS)}")
        if self.catalog_tool not in CATALOG_TOOLS:
            raise TapError(
                f"--catalog-tool {self.catalog_tool}: accepted: {', '.join(CATALOG_TOOLS)}"
            )
        if self.member_hash is not None and self.member_hash not in catalog.MEMBER_HASHES:
            raise TapError(
                f"--member-hash {self.member_hash}: accepted: {', '.join(catalog.MEMBER_HASHES)}"
            )
        for p in (*self.ca, *self.tsa_ca):
            if not Path(p).is_file():
                raise TapError(f"{p}: no such certificate file (--ca/--tsa-ca)")
        if self.proxy:
            timestamp.check_proxy(self.proxy)


class Backend(Protocol):
    name: str

    def sign(self, path: Path, digest: str, *, append: bool, ts_url: str | None) -> None: ...
    def timestamp(self, path: Path, index: int, digest: str, ts_url: str) -> None: ...
    def remove_signatures(self, path: Path) -> None: ...
    def has_signature(self, path: Path) -> bool: ...
    def session(self) -> contextlib.AbstractContextManager[object]: ...


def _quiet(_: str) -> None:
    pass


def _through_relay(relay: timestamp.Relay | None, action: Callable[[], None]) -> None:
    """Run a tool action; when it failed for want of a timestamp, say why in one line."""
    before = len(relay.errors) if relay else 0
    try:
        action()
    except TapError:
        if relay and len(relay.errors) > before:
            raise TapError(relay.errors[-1]) from None
        raise


def add_timestamps(backend: Backend, relay: timestamp.Relay, path: Path) -> int:
    """Timestamp every signature of ``path`` that has none; returns how many."""
    try:
        sigs = authenticode.signatures(path)
    except authenticode.UnknownFormat:
        raise TapError(
            f"{path.name}: cannot list its signatures; timestamp it when signing"
        ) from None
    todo = [s for s in sigs if not s.timestamped]
    for s in todo:
        _through_relay(
            relay, functools.partial(backend.timestamp, path, s.index, s.digest, relay.url)
        )
    return len(todo)


def _count(path: Path) -> int | None:
    """How many signatures ``path`` carries (None: a format only the tool reads)."""
    try:
        return len(authenticode.signatures(path))
    except authenticode.UnknownFormat:
        return None


def choose_backend(
    name: str, creds: credentials.Credentials | None, environ: Mapping[str, str] | None = None
) -> Backend:
    """``auto``: signtool for a Windows-store certificate, osslsigncode for PKCS#11; for a
    PFX signtool on Windows when present, else osslsigncode."""
    key = creds.key if creds else None
    if name == "auto":
        if isinstance(key, credentials.StoreKey):
            name = "signtool"
        elif isinstance(key, credentials.Pkcs11Key):
            name = "osslsigncode"
        elif signtool.available(environ):
            name = "signtool"
        else:
            name = "osslsigncode"
    if name == "signtool":
        if sys.platform != "win32":
            raise TapError("--backend signtool runs on Windows only; use osslsigncode here")
        return signtool.SignTool(signtool.find(environ), creds, environ)
    return osslsigncode.Osslsigncode(osslsigncode.find(environ), creds, environ)


def is_signed(path: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``path`` carries an Authenticode signature (PE, .cat, .cab in pure Python;
    other formats such as .msi through the signing tool)."""
    try:
        return authenticode.is_signed(Path(path))
    except authenticode.UnknownFormat:
        return choose_backend("auto", None, environ).has_signature(Path(path))


@dataclass
class Signer:
    """An open signing session: credentials checked, backend chosen, relay running."""

    options: SignOptions
    environ: Mapping[str, str] | None = None
    log: Log = _quiet
    creds: credentials.Credentials = field(init=False)
    backend: Backend = field(init=False)
    _relay: timestamp.Relay | None = field(init=False, default=None)
    _cert_checked: bool = field(init=False, default=False)
    _stack: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    def __enter__(self) -> Signer:
        self.options.check()
        self.creds = credentials.from_environment(self.environ)
        self.backend = choose_backend(self.options.backend, self.creds, self.environ)
        self.log(f"# signing with {self.backend.name}: {credentials.describe(self.creds)}")
        try:
            self._stack.enter_context(self.backend.session())  # e.g. temporary files
            if self.options.timestamp:
                self._relay = self._stack.enter_context(timestamp.relay(self.tsa_client()))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def tsa_client(self) -> timestamp.TsaClient:
        return tsa_client(self.options, self.environ, self.log)

    @property
    def ts_url(self) -> str | None:
        return self._relay.url if self._relay else None

    def _tool(self, action: Callable[[], None]) -> None:
        _through_relay(self._relay, action)

    def sign(self, path: Path, digest: str | None = None) -> str:
        """Sign one file per the options; returns what was done (for the log)."""
        digest = digest or self.options.digest
        signed = is_signed(path, self.environ)
        if signed and not (self.options.force or self.options.append):
            return "skipped (already signed)"
        if signed and self.options.force:
            self.backend.remove_signatures(path)
        append = signed and self.options.append
        before = _count(path) if append else None
        self._tool(lambda: self.backend.sign(path, digest, append=append, ts_url=self.ts_url))
        self._check_token_certificate(path)
        after = _count(path)
        if before is not None and after is not None and after <= before:
            raise TapError(f"{path.name}: {self.backend.name} could not add one more signature")
        return f"{'appended' if append else 'signed'} ({digest}" + (
            ", timestamped)" if self.ts_url else ")"
        )

    def _check_token_certificate(self, path: Path) -> None:
        """A certificate kept in a token or store is first seen in the signature just made
        (credentials check one in a file before signing): check it there, once, before the
        run goes on or anything signed is put in place."""
        if self._cert_checked or self.creds.certificate is not None:
            return
        try:
            sigs = authenticode.signatures(path)
        except authenticode.UnknownFormat:
            return  # e.g. .msi: the next file in a format read here is checked
        signer = sigs[-1].signer if sigs else None
        if signer is not None:
            self._cert_checked = True
            credentials.check_signing_certificate(signer.dump(), credentials.source(self.creds))

    def expectations(self) -> Expectations:
        return Expectations(
            certificate=self.creds.certificate,
            timestamped=self.options.timestamp,
            ca=self.options.ca,
            tsa_ca=self.options.tsa_ca,
            environ=self.environ,
        )


def sign_files(
    paths: Sequence[Path],
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> dict[Path, str]:
    """Sign, timestamp and verify any files (installers, cabinets, ...); already signed files
    are skipped (unless ``force``/``append``). Each file is signed in a copy beside it; the
    copies replace the files (one rename each) only when every one of them verifies, so a
    failure leaves every file as it was."""
    options = options or SignOptions()
    files = list(dict.fromkeys(Path(p) for p in paths))
    for p in files:
        if not p.is_file():
            raise TapError(f"{p}: no such file to sign")
    done: dict[Path, str] = {}
    with Signer(options, environ, log) as signer, _copies(files, log) as copies:
        for p, c in zip(files, copies, strict=True):
            done[p] = signer.sign(c)
            log(f"{p}: {done[p]}")
        raise_problems(verify_files(copies, _expect_for(signer, copies)))
        for p, c in zip(files, copies, strict=True):
            if not done[p].startswith("skipped"):
                os.replace(c, p)
    return done


@contextlib.contextmanager
def _copies(files: Sequence[Path], log: Log = _quiet) -> Iterator[list[Path]]:
    """A copy of each file under its own name, in a private folder beside it (same file
    system: the rename that puts it in place is atomic); errors name the real files. The
    folder's name holds this process's id: one left by a run that was killed (its process
    gone) is removed by the next run, which says so."""
    with contextlib.ExitStack() as stack:
        copies: list[Path] = []
        for p in files:
            prefix = f".{p.name}.sign-"
            scratch.remove_stale(p.parent, prefix, log, "signing copy")
            folder = scratch.make(p.parent, prefix, str(p))
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
            stack.enter_context(naming(folder, p.parent))
            copies.append(Path(shutil.copy2(p, folder / p.name)))
        yield copies


def _expect_for(signer: Signer, files: Sequence[Path]) -> Expectations:
    exp = signer.expectations()
    if exp.certificate is None and files:
        # A certificate in a token: trust what the first signature made here names.
        signers = [s.signer for s in authenticode.signatures(files[0]) if s.signer is not None]
        if signers:
            exp = Expectations(signers[-1].dump(), exp.timestamped, exp.ca, exp.tsa_ca, exp.environ)
    return exp


def raise_problems(problems: Sequence[str]) -> None:
    """One line naming the first problem (and how many more), when there is any."""
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TapError(f"verification failed: {problems[0]}{more}")


# --- dist/ -----------------------------------------------------------------------------------


def arch_dirs(dist: Path) -> list[Path]:
    dirs = [dist / a for a in ARCHES if (dist / a).is_dir()]
    if not dirs:
        raise TapError(f"{dist}: no architecture folders ({', '.join(ARCHES)}); run scons first")
    return dirs


def _cat_name(options: SignOptions) -> str:
    from tapbuild.product.versioninfo import load

    return load(options.override).cat_name


def _targets(options: SignOptions, arch: str) -> tuple[catalog.OsTarget, ...]:
    if options.os_targets and arch in options.os_targets:
        return options.os_targets[arch]
    return catalog.os_targets(arch)


def _use_inf2cat(options: SignOptions, environ: Mapping[str, str] | None) -> str | None:
    if options.catalog_tool == "python":
        return None
    exe = shutil.which("inf2cat", path=(environ or os.environ).get("PATH"))
    if options.catalog_tool == "inf2cat":
        if exe is None:
            raise TapError("--catalog-tool inf2cat: Inf2Cat not found; run from an EWDK/WDK shell")
        if options.member_hash:
            raise TapError("--member-hash cannot be given to Inf2Cat; use --catalog-tool python")
        return exe
    if sys.platform == "win32" and exe and not options.member_hash:
        return exe
    return None


def make_catalog(
    arch_dir: Path,
    options: SignOptions,
    environ: Mapping[str, str] | None = None,
    when: datetime.datetime | None = None,
) -> Path:
    """Make (or remake) the unsigned catalog of ``arch_dir``."""
    name = _cat_name(options)
    targets = _targets(options, arch_dir.name)
    inf2cat = _use_inf2cat(options, environ)
    if inf2cat:
        (arch_dir / name).unlink(missing_ok=True)
        toolrun.check(catalog.inf2cat_command(inf2cat, arch_dir, targets), f"Inf2Cat {arch_dir}")
        if not (arch_dir / name).is_file():
            raise TapError(f"Inf2Cat made no {name} in {arch_dir}; check the INF's CatalogFile")
        return arch_dir / name
    return catalog.write_package_catalog(arch_dir, name, targets, options.member_hash, when)


def make_catalogs(
    dist: Path,
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> list[Path]:
    """``nox -s catalog``: unsigned catalogs for every arch of dist/ (one transaction)."""
    options = options or SignOptions()
    options.check()
    out: list[Path] = []
    with update_dir(dist) as work:
        for d in arch_dirs(work):
            cat = make_catalog(d, options, environ)
            out.append(dist / d.name / cat.name)
            log(f"{d.name}/{cat.name}: made ({catalog.read_catalog(cat).member_hash} members)")
    return out


def _catalog_is_current(cat: Path) -> bool:
    try:
        return not catalog.check_members(cat, catalog.package_files(cat.parent))
    except TapError:
        return False


def _dist_plan(arch_dir: Path, cat_name: str) -> tuple[list[Path], Path]:
    files = sorted(
        p for p in arch_dir.iterdir() if p.is_file() and p.suffix.lower() in SIGNED_SUFFIXES
    )
    return files, arch_dir / cat_name


def sign_dist(
    dist: Path,
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> dict[str, str]:
    """``nox -s sign``: sign every .sys/.exe, make missing/stale catalogs, sign them, then
    verify — all on a copy of dist/ that replaces it only when everything succeeded."""
    options = options or SignOptions()
    options.check()
    cat_name = _cat_name(options)
    report: dict[str, str] = {}
    with Signer(options, environ, log) as signer, update_dir(dist) as work:
        to_verify: list[Path] = []
        catalogs: dict[Path, list[Path]] = {}
        dirs = arch_dirs(work)
        total = len(dirs) + 1
        for step, d in enumerate(dirs, 1):
            files, cat = _dist_plan(d, cat_name)
            log(f"[{step}/{total}] {d.name}: {', '.join(f.name for f in files)} and {cat.name}")
            for f in files:
                report[f"{d.name}/{f.name}"] = signer.sign(f)
                log(f"{d.name}/{f.name}: {report[f'{d.name}/{f.name}']}")
            if options.force or not cat.exists() or not _catalog_is_current(cat):
                why = "remade" if cat.exists() else "made"
                make_catalog(d, options, environ)
                log(f"{d.name}/{cat.name}: {why}")
            report[f"{d.name}/{cat.name}"] = signer.sign(cat)
            log(f"{d.name}/{cat.name}: {report[f'{d.name}/{cat.name}']}")
            to_verify += [*files, cat]
            catalogs[cat] = catalog.package_files(d)
        log(f"[{total}/{total}] verifying every signature, timestamp and catalog")
        raise_problems(_verify_by_arch(to_verify, _expect_for(signer, to_verify), catalogs))
    return report


def _verify_by_arch(
    files: Sequence[Path], expect: Expectations, catalogs: Mapping[Path, list[Path]]
) -> list[str]:
    """verify_files, one arch folder at a time: each problem starts with ``<arch>/``."""
    problems: list[str] = []
    for d in sorted({f.parent for f in files}, key=lambda p: p.name):
        mine = [f for f in files if f.parent == d]
        cats = {c: m for c, m in catalogs.items() if c.parent == d}
        problems += [f"{d.name}/{p}" for p in verify_files(mine, expect, cats)]
    return problems


def timestamp_dist(
    dist: Path,
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> dict[str, int]:
    """``nox -s timestamp``: add timestamps to signed but untimestamped files of dist/."""
    options = options or SignOptions()
    options.check()
    out: dict[str, int] = {}
    backend = choose_backend(options.backend, None, environ)
    with contextlib.ExitStack() as stack:
        relay = stack.enter_context(timestamp.relay(tsa_client(options, environ, log)))
        work = stack.enter_context(update_dir(dist))
        for d in arch_dirs(work):
            for f in sorted(d.iterdir()):
                if not f.is_file() or f.suffix.lower() not in (*SIGNED_SUFFIXES, ".cat"):
                    continue
                signed = authenticode.is_signed(f)
                out[f"{d.name}/{f.name}"] = add_timestamps(backend, relay, f) if signed else 0
                if signed:
                    log(f"{d.name}/{f.name}: {out[f'{d.name}/{f.name}']} timestamp(s) added")
    return out


def tsa_client(
    options: SignOptions, environ: Mapping[str, str] | None = None, log: Log = _quiet
) -> timestamp.TsaClient:
    """The time-stamp client for these options (servers and proxy from the environment)."""
    urls = timestamp.urls_from_environment(environ)
    client = timestamp.TsaClient(
        urls, options.proxy, options.ts_rounds, options.ts_backoff, environ=environ, log=log
    )
    proxies = {timestamp.proxy_for(u, options.proxy, environ) for u in urls}
    via = ", ".join(sorted(timestamp.redact(p) for p in proxies if p)) or "direct"
    log(f"# time-stamp servers: {', '.join(timestamp.redact(u) for u in urls)} ({via})")
    return client


def verify_dist(
    dist: Path,
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> None:
    """``nox -s verify``: the checks ``sign`` ends with, alone; raises on the first problem
    list (all problems are logged)."""
    _, problems = verify_dist_report(dist, options, environ, log)
    raise_problems(problems)


def verify_dist_report(
    dist: Path,
    options: SignOptions | None = None,
    environ: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> tuple[list[str], list[str]]:
    """:func:`verify_dist` without raising on what it finds: (the files checked, named
    ``<arch>/<file>``, and the problems, each starting with the file it is about)."""
    options = options or SignOptions()
    options.check()
    cat_name = _cat_name(options)
    cert: bytes | None = None
    with contextlib.suppress(TapError):  # credentials are optional here
        cert = credentials.from_environment(environ, signing=False).certificate
    files: list[Path] = []
    catalogs: dict[Path, list[Path]] = {}
    for d in arch_dirs(dist):
        signed, cat = _dist_plan(d, cat_name)
        if not cat.exists():
            raise TapError(f"{cat}: missing; run nox -s sign")
        files += [*signed, cat]
        catalogs[cat] = catalog.package_files(d)
    expect = Expectations(cert, options.timestamp, options.ca, options.tsa_ca, environ)
    problems = _verify_by_arch(files, expect, catalogs)
    for p in problems:
        log(p)
    if not problems:
        log(f"verified {len(files)} files")
    return [f"{f.parent.name}/{f.name}" for f in files], problems
