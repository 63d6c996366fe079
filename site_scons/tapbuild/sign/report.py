"""``--json FILE`` of ``sign``, ``verify`` and ``submission``: what was done to each file, its
signatures and timestamps, and the verdict, for CI pipelines.

The report is written whether the command succeeded or not (``"ok": false`` with the one-line
error), atomically, with sorted keys, so two runs on the same files give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tapbuild import atomic
from tapbuild.errors import TapError
from tapbuild.formats import authenticode


def signatures(path: Path) -> list[dict[str, Any]]:
    """Each Authenticode signature of ``path``, primary first ([] unsigned or unreadable)."""
    try:
        sigs = authenticode.signatures(path)
    except (authenticode.UnknownFormat, TapError):
        return []
    return [
        {
            "index": s.index,
            "digest": s.digest,
            "signer": s.signer_subject,
            "thumbprint": s.signer_sha1,
            "timestamped": s.timestamped,
        }
        for s in sigs
    ]


def file_entry(
    path: Path, name: str, problems: Sequence[str], action: str | None = None
) -> dict[str, Any]:
    """One file: ``name`` as the user knows it, its SHA-256, signatures and verdict.
    ``problems`` are the lines that name it (``<name>: ...``)."""
    mine = [p for p in problems if p.startswith(f"{name}:")]
    entry: dict[str, Any] = {
        "file": name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None,
        "signatures": signatures(path) if path.is_file() else [],
        "verdict": "failed" if mine else "ok",
        "problems": mine,
    }
    if action is not None:
        entry["action"] = action
    return entry


class Report:
    """Filled in by a command; written by :func:`writing` however the command ends."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.files: list[dict[str, Any]] = []
        self.problems: list[str] = []

    def add_files(
        self,
        root: Path,
        names: Sequence[str],
        problems: Sequence[str] = (),
        actions: Mapping[str, str] | None = None,
    ) -> None:
        """Files named relative to ``root`` (``amd64/tap0901.sys``)."""
        for name in names:
            action = (actions or {}).get(name)
            self.files.append(file_entry(root / name, name, problems, action))
        named = {f["file"] for f in self.files}
        self.problems += [p for p in problems if p.split(":", 1)[0] not in named]

    def as_dict(self, error: str | None) -> dict[str, Any]:
        ok = error is None and not self.problems and all(f["verdict"] == "ok" for f in self.files)
        return {
            "command": self.command,
            "ok": ok,
            "error": error,
            "files": self.files,
            "problems": self.problems,
        }


@contextmanager
def writing(path: Path | None, command: str) -> Iterator[Report]:
    """A report for ``command``, written to ``path`` (if given) when the block ends; an error
    that ends it is recorded and raised again."""
    if path is not None and not path.parent.is_dir():
        raise TapError(
            f"--json {path}: no folder {path.parent}; accepted: a file in an existing folder"
        )
    report = Report(command)
    error: str | None = None
    try:
        yield report
    except TapError as exc:
        error = str(exc)
        raise
    finally:
        if path is not None:
            text = json.dumps(report.as_dict(error), indent=2, sort_keys=True) + "\n"
            try:
                atomic.write_text(path, text)
            except OSError as exc:
                raise TapError(f"--json {path}: cannot write it ({exc.strerror})") from None
