from pathlib import Path

import pytest

from musicmarkets import config, params


def test_repo_root_found_from_a_subfolder(repo):
    assert config.repo_root(repo / "notebooks") == repo
    assert config.repo_root(repo / "src" / "musicmarkets") == repo


def test_repo_root_outside_a_project_names_the_marker(tmp_path, monkeypatch):
    monkeypatch.delenv("MUSICMARKETS_ROOT", raising=False)
    with pytest.raises(FileNotFoundError, match="dvc.yaml"):
        config.repo_root(tmp_path)


def test_root_override_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSICMARKETS_ROOT", str(tmp_path))
    assert config.paths().root == tmp_path.resolve()


PARAMS = {
    "common": {"seed": 1, "markets": ["de"]},
    "fit": {"priors": {"a": 1}, "sampler": {"draws": 5}},
}


def test_stage_parameters_expands_blocks_and_dotted_keys():
    got = params.stage_parameters(PARAMS, ["common.seed", "fit"])
    assert got == {"seed": 1, "priors": {"a": 1}, "sampler": {"draws": 5}}


def test_stage_parameters_rejects_missing_and_duplicate_names():
    with pytest.raises(KeyError, match="common.nope"):
        params.stage_parameters(PARAMS, ["common.nope"])
    with pytest.raises(ValueError, match="given twice"):
        params.stage_parameters({"a": {"x": 1}, "b": {"x": 2}}, ["a", "b"])


def test_stage_param_keys_accepts_params_yaml_only():
    assert params.stage_param_keys({"params": ["a", {"params.yaml": ["b.c"]}]}) == ["a", "b.c"]
    with pytest.raises(ValueError, match="other.yaml"):
        params.stage_param_keys({"params": [{"other.yaml": ["x"]}]})


def test_every_stage_block_exists(repo):
    values = config.load_params(repo)
    for name, stage in config.load_stages(repo).items():
        params.stage_parameters(values, params.stage_param_keys(stage))  # raises if stale
        assert isinstance(name, str) and Path(repo / "dvc.yaml").is_file()


def test_set_on_the_command_line_keeps_dates_as_text():
    """``--set fit_until=2020-02-28`` reaches the notebook as the text a quoted params.yaml date
    is (papermill injects JSON, which has no date), other values as YAML reads them."""
    import json

    from musicmarkets.cli import parse_overrides

    got = parse_overrides(["fit_until=2020-02-28", "variant=pooled", "draws=300", "x=[1, 2]"])
    assert got == {"fit_until": "2020-02-28", "variant": "pooled", "draws": 300, "x": [1, 2]}
    json.dumps(got)
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_overrides(["no-equals-sign"])


def test_each_names_the_parameter_and_its_list_and_rejects_anything_else():
    """``--each NAME=LIST``: the CLI and the parameter checks read it through one parser."""
    from musicmarkets.params import parse_each, stage_each

    assert parse_each("market=partner_markets") == ("market", "partner_markets")
    for bad in ("market", "market=", "=partner_markets", "market=a-b", "2x=list"):
        with pytest.raises(ValueError, match="NAME=LIST_PARAMETER"):
            parse_each(bad)
    cmd = "musicmarkets run s nb.py out.ipynb --set a=1 --each market=partner_markets"
    assert stage_each({"cmd": cmd}) == ["market"]
    assert stage_each({"cmd": "musicmarkets run s nb.py out.ipynb"}) == []
