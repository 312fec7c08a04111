"""The small configuration the pipeline tests run: three markets plus the Global chart, the
year 2017 (which holds Germany's and the Global chart's missing weeks), few draws."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.conftest import commit_all, copy_project, run

LEGACY = "data/raw/spotify_weekly_top200_8markets_2017_2020"
KEPT = {"de", "gb", "it", "global"}  # the copy holds only these markets' files ...
ADDED = "es"  # ... until a test drops Spain's files in
# dummy credentials present in the environment of the first run: none may leak anywhere
SECRETS = {
    "LASTFM_API_KEY": "lfm-dummy-7c1e5a93",
    "SPOTIFY_CLIENT_ID": "sp-id-dummy-41d2",
    "SPOTIFY_CLIENT_SECRET": "sp-secret-dummy-9b7e",
    "MUSICMARKETS_WAREHOUSE_URL": "postgresql+psycopg://analyst:pw-dummy-3f8a@db.invalid/dw",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-dummy-c0ffee",
}
FEW = {"draws": 300, "tune": 300, "chains": 2}
SMALL = {
    "common": {"markets": "all", "start": "2017-01-06", "end": "2017-12-29"},
    "fit": {"sampler": FEW},
    "variants": {"names": ["pooled"], "sampler": FEW},  # one variant: the foreach mechanism
    "lfo": {"origins_weeks_before_end": [4], "block_weeks": 4, "sampler": FEW},
    "sensitivity": {"fit_until": "2017-09-29"},
    "prior_check": {"prior_draws": 100},
    "shares": {"sampler": FEW},
    "backtest": {
        "origins": 1,
        "horizon": 8,
        "horizons": [1, 4, 8],
        "gate_weeks": 8,
        "sampler": FEW,
    },
    "report": {"partner_markets": ["de", "gb", "it"]},
    "events": {"simulate": {"rows": 200_000, "weeks": 8}},
}
# every stage that writes under data/, with what it reads (not the model variants, the
# backtest or the pages); tests/unit/test_dvc_deps.py keeps the list whole
DATA_STAGES = ("breadth", "events", "prior_check", "check_recent_fit", "forecast")
DATA_STAGES_LEFT_OUT = {"backtest": "eight refits: its rolling-origin refits are the fit's code"}


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        base[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def small_project(dest: Path) -> Path:
    """A copy of the project in the small configuration, committed, nothing run yet."""
    root = copy_project(dest)
    for folder in (root / LEGACY).iterdir():
        if folder.is_dir() and folder.name.removesuffix("_features") not in KEPT:
            shutil.rmtree(folder)
    params = yaml.safe_load((root / "params.yaml").read_text())
    (root / "params.yaml").write_text(yaml.safe_dump(_merge(params, SMALL), sort_keys=False))
    commit_all(root, "small")
    return root


@contextlib.contextmanager
def restored(root: Path, targets: tuple[str, ...] = ()) -> Iterator[None]:
    """Run a test's changes on top of a shared run, then put the project back as it was: the
    tracked files from git, the outputs from the DVC cache (nothing re-runs). ``targets``: the
    stages the shared run ran, where it did not run them all."""
    commit_all(root, "before a test's changes")
    try:
        yield
    finally:
        run(["git", "checkout", "-f", "HEAD", "--", "."], root)
        cleaned = ["params.yaml", "dvc.yaml", "reports/metrics", "data/raw"]
        run(["git", "clean", "-fdq", "--", *cleaned], root)
        run(["dvc", "checkout", "--force", *(["--with-deps", *targets] if targets else [])], root)
        status = ["dvc", "status", *(["--with-deps", *targets] if targets else [])]
        assert "up to date" in run(status, root).stdout
