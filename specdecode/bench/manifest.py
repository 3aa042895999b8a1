"""RUN.manifest.json beside RUN.jsonl: what produced the records (code, libraries,
hardware, threads, the full resolved config). Earlier invocations are kept in `history`."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..hostinfo import cpuinfo_field
from ..records import manifest_path

PACKAGES = ("specdecode", "torch", "transformers", "tokenizers", "numpy", "ray")


def git_sha() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if sha.returncode != 0:
        return None
    return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def packages() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def hardware() -> dict:
    import torch

    info = {"machine": platform.machine(), "processor": platform.processor() or None,
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    if cpuinfo_field("model name"):
        info["cpu_model"] = cpuinfo_field("model name")
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_manifest(run: Path, cfg, run_id: str, executor: str, config_name: str,
                   dtypes: dict | None = None) -> Path:
    """dtypes: {model id: dtypes.Decision.to_json()}, what each model ran in and why."""
    import torch

    path = manifest_path(run)
    history = []
    if path.exists():
        try:
            old = json.loads(path.read_text())
            history = old.get("history", []) + [{k: old.get(k) for k in ("run_id", "created", "git_sha")}]
        except (ValueError, OSError):
            history = []
    data = {"run_id": run_id, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "git_sha": git_sha(), "packages": packages(), "hardware": hardware(),
            "torch_threads": cfg.threads or torch.get_num_threads(), "executor": executor,
            "config_name": config_name, "config": cfg.to_dict(), "dtypes": dtypes or {},
            "history": history}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)
    return path


def record_peak_memory(run: Path) -> int | None:
    """Add this process's peak RSS (bytes; target and every draft are loaded here with the
    local executor) to the manifest. Ray workers are other processes: not covered."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak *= 1 if sys.platform == "darwin" else 1024  # Linux reports KiB
    path = manifest_path(run)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    data["peak_rss_bytes"] = peak
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)
    return peak
