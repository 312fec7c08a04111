"""Paths of the project, resolved from the repository root; params.yaml and dvc.yaml read from it
(``musicmarkets.params`` turns their blocks into parameters).

The root is found from the working directory (not from this file), so a notebook run from
``notebooks/`` in JupyterLab, a Papermill run with ``cwd`` at the root, and a test running in a
temporary copy of the repository all read and write *their own* tree. ``MUSICMARKETS_ROOT``
overrides the search.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT_MARKER = "dvc.yaml"


def repo_root(start: Path | str | None = None) -> Path:
    """Return the repository root: the nearest folder at or above ``start`` holding dvc.yaml."""
    env = os.environ.get("MUSICMARKETS_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ROOT_MARKER).is_file():
            return folder
    raise FileNotFoundError(
        f"no {ROOT_MARKER} found at or above {here}; run from inside the repository "
        "or set MUSICMARKETS_ROOT"
    )


@dataclass(frozen=True)
class Paths:
    """Every location the pipeline reads or writes, relative to one root."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def charts_legacy(self) -> Path:
        return self.raw / "spotify_weekly_top200_8markets_2017_2020"

    @property
    def charts_current(self) -> Path:
        return self.raw / "spotify_weekly_top200_current_format_sample"

    @property
    def no1_raw(self) -> Path:
        return self.raw / "spotify_weekly_no1_62regions_2020"

    @property
    def top50_raw(self) -> Path:
        return self.raw / "spotify_daily_top50_playlists_10markets_2023_2024"

    @property
    def covariates_raw(self) -> Path:
        return self.raw / "country_covariates_worldbank"

    @property
    def interim(self) -> Path:
        return self.root / "data" / "interim"

    @property
    def api_cache(self) -> Path:
        return self.root / "data" / "external" / "api_cache"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics"

    @property
    def figures(self) -> Path:
        return self.reports / "figures"


def paths(start: Path | str | None = None) -> Paths:
    """Paths of the repository that contains ``start`` (default: the working directory)."""
    return Paths(repo_root(start))


def load_params(root: Path | None = None) -> dict[str, Any]:
    """Read params.yaml. Only the notebook runner, the CLI and the tests call this."""
    root = root or repo_root()
    with open(root / "params.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_stages(root: Path | None = None) -> dict[str, Any]:
    """The ``stages`` mapping of dvc.yaml, ``foreach`` stages expanded as DVC names them
    (``variants@pooled``) with ``${item}`` filled in."""
    root = root or repo_root()
    with open(root / "dvc.yaml", encoding="utf-8") as fh:
        stages = yaml.safe_load(fh)["stages"]
    out: dict[str, Any] = {}
    for name, stage in stages.items():
        if "foreach" not in stage:
            out[name] = stage
            continue
        items = stage["foreach"]
        if isinstance(items, str):  # ${block.key} from params.yaml
            match = re.fullmatch(r"\$\{\s*([\w.]+)\s*\}", items.strip())
            if not match:
                raise ValueError(f"stage {name}: cannot read foreach {items!r}")
            node: Any = load_params(root)
            for part in match.group(1).split("."):
                node = node[part]
            items = node
        keys = list(items) if isinstance(items, dict) else [str(i) for i in items]
        for key in keys:
            text = yaml.safe_dump(stage["do"]).replace("${item}", key).replace("${key}", key)
            out[f"{name}@{key}"] = yaml.safe_load(text)
    return out
