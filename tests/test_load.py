"""Load: `wrk` (16 connections) against `gongwen serve` on loopback, varied queries, zero errors, p95.

10 s by default, 60 s with CI=true, or `GONGWEN_LOAD_SECONDS` seconds. A machine without wrk skips the
test, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import serving

SCRIPT = Path(__file__).resolve().parent / "fixtures" / "wrk_queries.lua"
CONNECTIONS = 16


def load_seconds() -> int:
    default = "60" if os.environ.get("CI") == "true" else "10"
    return int(os.environ.get("GONGWEN_LOAD_SECONDS", default))


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_wrk_load_has_no_errors(web_library, tmp_path: Path) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is not installed (apt-get install wrk); the load test cannot run")
        pytest.skip("wrk is not installed")
    seconds = load_seconds()
    with serving(web_library.index_dir, tmp_path / "serve.log") as base:
        result = subprocess.run(
            [wrk, "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s",
             "-s", str(SCRIPT), base + "/"],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    assert result.returncode == 0, result.stderr
    match = re.search(r"WRK_SUMMARY (.*)", result.stdout)
    assert match, result.stdout
    figures = {k: float(v) for k, v in (pair.split("=") for pair in match[1].split())}
    socket_errors = int(sum(figures[k] for k in ("connect", "read", "write", "timeout")))
    print(f"\nload: {CONNECTIONS} connections for {seconds} s: {int(figures['requests'])} requests, "
          f"{figures['rps']:.0f}/s, p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
          f"p99 {figures['p99_ms']:.0f} ms; errors: non-2xx {int(figures['non2xx'])}, "
          f"socket {socket_errors}")  # fmt: skip
    assert figures["requests"] > 0
    for kind in ("non2xx", "connect", "read", "write", "timeout"):
        assert figures[kind] == 0, f"{int(figures[kind])} {kind} errors under load: {result.stdout}"
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
