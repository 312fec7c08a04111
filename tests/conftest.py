"""Shared fixtures: the repository, real data excerpts, and temporary copies of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# One BLAS/OpenMP thread, as in the pipeline's kernels (musicmarkets.notebook): the same bytes
# every run, and no thread pools spinning against each other on a small machine.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

# What a copy of the project leaves behind: the environment, git and DVC internals, and
# everything the pipeline writes (a copy must produce its own outputs).
COPY_IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "cache",
    "tmp",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",  # written by property tests that may run beside a copy (pytest -n)
    "artifacts",
    "*.parquet",
    "*.nc",
    "*.ipynb",
    "index.html",
    ".ipynb_checkpoints",
    "kernel-ipc-*",  # a stage's kernel sockets, where a run of an older version is under way
)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def legacy_fixture() -> Path:
    return FIXTURES / "charts_legacy"


def tool_env() -> dict[str, str]:
    """Environment for subprocesses: this interpreter's tools first on PATH, no root override."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("MUSICMARKETS_ROOT", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(
    cmd: list[str], cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run a command, returning its output; on failure show what it printed."""
    full_env = tool_env() | (env or {})
    full_env["PATH"] = tool_env()["PATH"]
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def commit_all(root: Path, message: str) -> None:
    """Stage everything in ``root`` and commit it (a throwaway identity for test repositories)."""
    run(["git", "add", "-A"], root)
    run(
        [
            "git",
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
            "commit",
            "--allow-empty",  # a test may mark a point in history that changed nothing
            "-qm",
            message,
        ],
        root,
    )


def copy_project(dest: Path, source: Path = REPO) -> Path:
    """A fresh copy of a project as a git repository with one commit (no outputs, no cache)."""
    shutil.copytree(source, dest, ignore=COPY_IGNORE)
    run(["git", "init", "-q"], dest)
    commit_all(dest, "copy")
    return dest


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots, reports)."""
    path = REPO / "tests" / "artifacts"
    path.mkdir(exist_ok=True)
    return path


def pytest_collection_modifyitems(config, items):
    """Everything under tests/statistical is the statistical tier (``make test-all``)."""
    statistical = REPO / "tests" / "statistical"
    for item in items:
        if statistical in Path(item.fspath).parents:
            item.add_marker(pytest.mark.statistical)
