"""Helpers every benchmark script shares: the machine line, percentiles, peak RSS, result files.

Kept free of gongwen imports so that baselines measured with it carry no gongwen start-up cost.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCHDATA = Path(os.environ.get("GONGWEN_BENCHDATA", "/work/benchdata"))
OUT_DIR = Path(os.environ.get("GONGWEN_BENCH_OUT", REPO / "bench" / "out"))
PYTHON = sys.executable


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, memory, CPU model, Python, date."""
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem[1].split()[1] if len(mem) > 1 else "?",
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50 = median) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "max_ms": round(max(ms), 2), "mean_ms": round(sum(ms) / len(ms), 2)}


def run_measured(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> dict[str, Any]:
    """Run `cmd` in a wrapper process; return wall seconds, exit code, output and the peak RSS (MiB) of
    the largest process in its tree (getrusage of waited-for descendants).
    """
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.monotonic() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "sys.stderr.write(p.stderr)\n"
        "print(json.dumps({'wall': wall, 'rc': p.returncode, 'rss_mb': rss, 'stdout': p.stdout}))\n"
    )
    proc = subprocess.run([PYTHON, "-c", wrapper, *cmd], capture_output=True, text=True, env=env, cwd=cwd,
                          check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"benchmark wrapper failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["stderr"] = proc.stderr
    return result


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb(pid: int, key: str) -> float:
    """`VmHWM` (peak) or `VmRSS` (now) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def folder_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def save_result(name: str, result: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def gongwen_env(**overrides: str) -> dict[str, str]:
    """The environment for a `gongwen` child: the repo importable, rate limiting off for load tests."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(overrides)
    return env


def gongwen_cmd(*args: str) -> list[str]:
    return [PYTHON, "-m", "webapp.cli", *args]
