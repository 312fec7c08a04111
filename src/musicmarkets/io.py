"""Atomic writers: an interrupted stage never leaves a half-written file that looks complete."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


@contextmanager
def atomic_path(target: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it over ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


TEMP_GLOBS = (".*.tmp", ".*.ipynb")  # what atomic_path leaves only if its process was killed


def remove_stale_temporaries(
    root: Path, folders: tuple[str, ...] = ("data", "models", "reports")
) -> list[Path]:
    """Delete temporary files that a killed run left beside its outputs; return them."""
    removed = []
    for folder in folders:
        base = Path(root) / folder
        if not base.is_dir():
            continue
        for pattern in TEMP_GLOBS:
            for path in base.rglob(pattern):
                if path.is_file() and path.name.count(".") >= 2:
                    path.unlink()
                    removed.append(path)
    return removed


def _write_with(target: Path | str, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_parquet(df: pd.DataFrame, target: Path | str) -> Path:
    """Write a DataFrame to Parquet atomically, without the index, deterministically."""
    return _write_with(target, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))


def write_json(obj: Any, target: Path | str) -> Path:
    """Write JSON atomically with sorted keys (stable diffs for DVC metrics)."""

    def _dump(p: Path) -> None:
        with open(p, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, sort_keys=True, default=_json_default)
            fh.write("\n")

    return _write_with(target, _dump)


def write_text(text: str, target: Path | str) -> Path:
    """Write text atomically (UTF-8)."""
    return _write_with(target, lambda p: p.write_text(text, encoding="utf-8"))


# what a sampler stamps on a fit that is not the fit: when and how long it ran (the stage's
# metrics keep the time); without them the same fit gives the same bytes, so DVC re-runs no
# stage downstream of a fit that came out the same
RUN_STAMPS = ("created_at", "sampling_time")


def write_netcdf(tree: Any, target: Path | str) -> Path:
    """Write an ArviZ DataTree to netCDF atomically, without the run's time stamps
    (``RUN_STAMPS``): the same posterior gives the same bytes."""
    tree = tree.copy()
    for node in tree.subtree:
        node.attrs = {k: v for k, v in node.attrs.items() if k not in RUN_STAMPS}
    return _write_with(target, lambda p: tree.to_netcdf(p, engine="h5netcdf"))


def read_json(path: Path | str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _json_default(value: Any) -> Any:
    # numpy scalars and pandas timestamps appear in metrics dicts
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
