"""Running the real `gongwen` command as child processes for the reliability tests.

Each child runs in its own process group so a test can kill it with every worker it forked (kill -9 of
the group), the way a power cut or the OOM killer would. Settings reach the child through `GONGWEN_*`
environment variables, exactly as an operator would set them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"
PYTHON = ROOT / ".venv" / "bin" / "python"


def text_corpus_files(count: int, offset: int = 0) -> list[Path]:
    """`count` text-layer PDFs of the shared corpus (scans would need OCR, too slow for these loops)."""
    rows = [json.loads(line) for line in (CORPUS / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    names = sorted(r["file"] for r in rows if r["kind"] == "text" and r["file"].startswith("docs/"))
    chosen = names[offset : offset + count]
    assert len(chosen) == count, f"the corpus has only {len(names)} text documents"
    return [CORPUS / name for name in chosen]


def copy_files(files: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(f, folder / f.name)) for f in files]


def gongwen_env(index_dir: Path, **settings: object) -> dict[str, str]:
    """The environment of a child `gongwen`: our index folder, OCR off, plus `SECTION_KEY=value` pairs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWEN_")}
    env["GONGWEN_STORAGE_INDEX_DIR"] = str(index_dir)
    env["GONGWEN_OCR_ENABLED"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in settings.items():
        env[f"GONGWEN_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def gongwen_command(*args: str) -> list[str]:
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return [str(python), "-m", "webapp.cli", *args]


def start_gongwen(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `gongwen ARGS` in a new process group, output to `log`."""
    handle = log.open("ab")
    try:
        return subprocess.Popen(
            gongwen_command(*args),
            cwd=ROOT,
            env=dict(env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        handle.close()


def run_gongwen(args: list[str], env: Mapping[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        gongwen_command(*args), cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout
    )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the process and everything in its group, and wait until the group is gone."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)
    close_pipes(process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process group {process.pid} survived kill -9")


def close_pipes(process: subprocess.Popen) -> None:
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"raw": body[:200].decode("utf-8", "replace")}


@contextmanager
def serving(index_dir: Path, log: Path, **settings: object) -> Iterator[str]:
    """`gongwen serve` on a free loopback port; yields its base URL once /healthz answers."""
    port = free_port()
    env = gongwen_env(index_dir, web_rate_limit_per_minute=0, **settings)
    server = start_gongwen(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                tail = log.read_text()[-2000:]
                raise AssertionError(f"gongwen serve exited with {server.returncode}: {tail}")
            try:
                status, _ = get_json(f"{base}/healthz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("gongwen serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_group(server)
