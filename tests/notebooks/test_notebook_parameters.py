"""Each pipeline notebook's parameters cell matches its stage's params (nothing goes stale),
and a re-save in JupyterLab without edits writes the same bytes (the DVC stage stays valid)."""

import shlex

import jupytext
import pytest

from musicmarkets import config, params
from musicmarkets.notebook import parameters_cell

STAGES = config.load_stages(config.repo_root(__file__))


def notebook_of(stage: dict) -> str:
    cmd = shlex.split(stage["cmd"])
    assert cmd[:2] == ["musicmarkets", "run"], (
        "every stage runs a notebook through musicmarkets run"
    )
    return cmd[3]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_parameters_cell_matches_params_yaml(name, repo):
    stage = STAGES[name]
    nb = repo / notebook_of(stage)
    expected = params.stage_parameters(config.load_params(repo), params.stage_param_keys(stage))
    defaults = parameters_cell(nb)
    # names that a stage of this notebook sets on its command line (a foreach stage's item,
    # or the item of `--each name=list`)
    set_by_cmd = {
        k
        for s in STAGES.values()
        if notebook_of(s) == notebook_of(stage)
        for k in [*params.stage_overrides(s), *params.stage_each(s)]
    }
    assert set_by_cmd <= set(defaults), f"{nb.name}: --set names a missing parameter"
    assert set(defaults) - set_by_cmd == set(expected) - set_by_cmd, (
        f"{nb.name}: parameters differ from dvc.yaml/params.yaml"
    )
    if "@" in name:  # a foreach stage shares its notebook: the defaults are the main stage's
        return
    for key, value in expected.items():
        if key in set_by_cmd:  # the stage's own value, on its command line
            continue
        assert defaults[key] == value, f"{nb.name}: default of {key!r} differs from params.yaml"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_notebook_is_a_dependency_of_its_stage(name, repo):
    stage = STAGES[name]
    assert notebook_of(stage) in stage["deps"]


def test_every_notebook_is_a_stage(repo):
    in_stages = {notebook_of(s) for s in STAGES.values()}  # foreach stages share a notebook
    on_disk = {f"notebooks/{p.name}" for p in (repo / "notebooks").glob("[0-9][0-9]_*.py")}
    assert in_stages == on_disk


@pytest.mark.parametrize(
    "path", sorted((config.repo_root(__file__) / "notebooks").glob("[0-9][0-9]_*.py"))
)
def test_resave_without_edits_is_byte_identical(path, repo):
    # JupyterLab's Jupytext contents manager reads with the project's config and writes back
    cfg = jupytext.config.load_jupytext_configuration_file(str(repo / "pyproject.toml"))
    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata.setdefault(
        "language_info", {"name": "python", "version": "3.12"}
    )  # added by a live kernel
    assert jupytext.writes(nb, fmt="py:percent", config=cfg) == text
