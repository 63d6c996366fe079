"""tapbuild.toolrun.run with real processes (this Python running small scripts): the
environment it hands over, stdin, stderr merged or apart, text or bytes, the folder, the
timeout, a missing program, and a secret that reaches stdin only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tapbuild import toolrun
from tapbuild.errors import TapError
from tapbuild.toolrun import Secret

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]

# Prints its environment, argv and stdin as JSON on stdout; "err" on stderr.
REPORT = (
    "import json, os, sys; data = sys.stdin.read(); sys.stderr.write('err\\n'); "
    "print(json.dumps({'env': dict(os.environ), 'argv': sys.argv, 'stdin': data, "
    "'cwd': os.getcwd()}))"
)
PROXIES = {"HTTPS_PROXY": "http://p:1", "http_proxy": "http://p:2", "NO_PROXY": "localhost"}


def _report(res: toolrun.Result) -> dict[str, object]:
    line = next(ln for ln in res.output.splitlines() if ln.startswith("{"))
    data = json.loads(line)
    assert isinstance(data, dict)
    return data


def test_defaults_are_a_signing_tools() -> None:
    """No proxy and no secret variable, an empty stdin, stderr merged into the output."""
    environ = {**PROXIES, "PATH": "/usr/bin", "TAP_SIGN_PASSWORD": "pw", "KEEP": "1"}
    res = toolrun.run([PY, "-c", REPORT], environ=environ)
    assert res.returncode == 0 and res.stderr == ""
    assert "err" in res.output.splitlines()
    data = _report(res)
    env = data["env"]
    assert isinstance(env, dict)
    assert env.get("KEEP") == "1" and env.get("PATH") == "/usr/bin"
    assert not set(env) & {*PROXIES, "TAP_SIGN_PASSWORD"}
    assert data["stdin"] == ""


def test_proxies_kept_secrets_never(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**PROXIES, "TAP_SIGN_PASSWORD": "pw"}.items():
        monkeypatch.setenv(k, v)
    env = _report(toolrun.run([PY, "-c", REPORT], keep_proxy=True))["env"]
    assert isinstance(env, dict)
    assert {k: env.get(k) for k in PROXIES} == PROXIES
    assert "TAP_SIGN_PASSWORD" not in env
    env = _report(toolrun.run([PY, "-c", REPORT]))["env"]  # this process's, cleaned
    assert isinstance(env, dict)
    assert not set(env) & {*PROXIES, "TAP_SIGN_PASSWORD"}
    assert env.get("PATH") == toolrun.tool_environment()["PATH"]


def test_stdin_text_and_inherited(tmp_path: Path) -> None:
    assert _report(toolrun.run([PY, "-c", REPORT], stdin="two\nlines\n"))["stdin"] == (
        "two\nlines\n"
    )
    # stdin=None: the tool reads this process's stdin (here a real pipe into a parent Python)
    parent = (
        "import sys; from tapbuild import toolrun; "
        f"res = toolrun.run([sys.executable, '-c', {REPORT!r}], stdin=None); "
        "sys.stdout.write(res.output)"
    )
    proc = subprocess.run(
        [PY, "-c", parent],
        input=b"from the parent\n",
        capture_output=True,
        check=True,
        cwd=tmp_path,
    )
    out = toolrun.Result(0, proc.stdout.decode())
    assert _report(out)["stdin"] == "from the parent\n"


def test_stderr_apart() -> None:
    script = "import sys; print('out 1'); print('out 2'); sys.stderr.write('problem\\n')"
    res = toolrun.run([PY, "-c", script], merge_stderr=False)
    assert res.output == "out 1\nout 2\n" and res.stderr == "problem\n"
    assert res.last_said() == "problem"
    res = toolrun.run([PY, "-c", "print('only out')"], merge_stderr=False)
    assert res.stderr == "" and res.last_said() == "only out"
    assert toolrun.Result(1, "").last_said() == "no output"


def test_bytes_or_text() -> None:
    script = (
        "import sys; sys.stdout.buffer.write(b'caf\\xc3\\xa9\\r\\nbad \\xff\\r\\n'); "
        "sys.stdout.flush()"
    )
    # bytes (the default): UTF-8, line ends as written, a bad byte replaced
    assert toolrun.run([PY, "-c", script]).output == "café\r\nbad \ufffd\r\n"
    # text: universal newlines, the encoding given, still no error on a bad byte
    res = toolrun.run([PY, "-c", script], text=True, encoding="utf-8")
    assert res.output == "café\nbad \ufffd\n"
    res = toolrun.run([PY, "-c", script], text=True, encoding="latin-1")
    assert res.output == "cafÃ©\nbad ÿ\n"
    # stdin in text mode goes through the same encoding
    echo = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"
    res = toolrun.run([PY, "-c", echo], stdin="é", text=True, encoding="latin-1")
    assert res.output == "é"
    assert toolrun.run([PY, "-c", echo], stdin="é").output == "é"  # UTF-8 both ways


def test_cwd(tmp_path: Path) -> None:
    assert _report(toolrun.run([PY, "-c", REPORT], cwd=tmp_path))["cwd"] == str(tmp_path)


def test_a_missing_program_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-tool")
    with pytest.raises(TapError) as err:
        toolrun.run([missing, "x"])
    assert str(err.value) == f"{missing}: not found; install it or put it on PATH"
    with pytest.raises(TapError) as err:
        toolrun.run([missing], missing="install msitools")
    assert str(err.value) == f"{missing}: not found; install msitools"
    with pytest.raises(TapError) as err:
        toolrun.run([missing], missing="")
    assert str(err.value) == f"{missing}: not found"


def test_no_answer_is_one_line() -> None:
    with pytest.raises(TapError) as err:
        toolrun.run([PY, "-c", "import time; time.sleep(60)"], timeout=1)
    assert str(err.value) == f"{PY} -c: no answer in 1 s"


def test_a_secret_reaches_stdin_only() -> None:
    secret = Secret("s3cr3t-p4ss")
    script = (
        "import json, os, sys; pw = sys.stdin.readline(); "
        "print('stdin:', json.dumps(pw)); print('argv:', sys.argv); "
        "print('env:', 's3cr3t' in repr(os.environ)); sys.stderr.write('bad password ' + pw)"
    )
    res = toolrun.run([PY, "-c", script, "arg"], secret=secret, environ={"TAP_SIGN_PASSWORD": "x"})
    assert secret.reveal() not in res.output
    assert 'stdin: "***\\n"' in res.output  # the secret and a newline, redacted in the output
    assert "env: False" in res.output and "'arg'" in res.output
    res = toolrun.run([PY, "-c", script], secret=secret, merge_stderr=False)
    assert res.stderr == "bad password ***\n"
    with pytest.raises(TapError) as err:
        toolrun.check([PY, "-c", script + "; sys.exit(3)"], "signing x.sys", secret=secret)
    assert str(err.value) == "signing x.sys: bad password ***"
    assert secret.reveal() not in repr(err.value) and err.value.__cause__ is None
    with pytest.raises(TapError) as err:
        toolrun.run([PY, "-c", "import time; time.sleep(60)"], secret=secret, timeout=1)
    assert secret.reveal() not in str(err.value)
    assert err.value.__context__ is None  # not even what the tool said before
    with pytest.raises(ValueError, match="a secret is the tool's stdin"):
        toolrun.run([PY, "-c", ""], secret=secret, stdin="more")


def test_every_tool_runs_through_toolrun() -> None:
    """No module of tapbuild but toolrun (and dev/, which the package does not import) starts
    a process itself."""
    import ast

    starters = {"run", "Popen", "call", "check_call", "check_output", "getoutput"}
    package = ROOT / "site_scons" / "tapbuild"
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] == "dev" or rel == Path("toolrun.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("subprocess", "os")
                and node.attr in {*starters, "system", "popen", "spawnv", "execv"}
            ):
                found.append(f"{rel}:{node.lineno}: {node.value.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "subprocess":
                found += [
                    f"{rel}:{node.lineno}: from subprocess import {a.name}" for a in node.names
                ]
    assert not found, found
