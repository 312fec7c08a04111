import gzip
import shutil
import subprocess
import sys
from pathlib import Path

from musicmarkets.cli import main

REAL = "tests/fixtures/charts_legacy/de/de_2017-05-12--2017-05-19.csv.gz"


def test_one_verdict_per_file_and_exit_code(repo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    (tmp_path / "de").mkdir()
    quarantined = tmp_path / "de" / "de_2017-05-19--2017-05-26.csv.gz"
    lines = gzip.decompress((repo / REAL).read_bytes()).decode().splitlines(keepends=True)
    head, _, url = lines[3].rsplit(",", 2)
    lines[3] = f"{head},n/a,{url}"
    quarantined.write_bytes(gzip.compress("".join(lines).encode()))
    truncated = tmp_path / "de" / "de_2017-05-26--2017-06-02.csv.gz"
    truncated.write_bytes((repo / REAL).read_bytes()[:250])
    unknown = tmp_path / "zz"
    unknown.mkdir()
    shutil.copyfile(repo / REAL, unknown / "zz_2017-05-12--2017-05-19.csv.gz")

    code = main(["validate", REAL, str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith("ACCEPTED") and out[0].endswith("200 rows")
    assert out[1].startswith("QUARANTINED") and "1 of 200 rows (row 4: streams 'n/a'" in out[1]
    assert out[2].startswith("REJECTED") and "de_2017-05-26--2017-06-02.csv.gz" in out[2]
    assert (
        out[3].startswith("QUARANTINED") and "200 of 200 rows (row 3: unknown market code" in out[3]
    )
    assert out[-1] == "1 accepted, 2 quarantined, 1 rejected"


def test_all_accepted_exits_zero(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    assert main(["validate", "data/raw/spotify_weekly_top200_current_format_sample"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 accepted, 0 quarantined, 0 rejected"


def test_installed_console_script(repo):
    exe = Path(sys.executable).parent / "musicmarkets"
    res = subprocess.run([str(exe), "validate", REAL], cwd=repo, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("ACCEPTED")


def test_impossible_dates_and_unknown_markets_are_named_from_any_folder(
    repo, tmp_path, capsys, monkeypatch
):
    """Run outside the project: still one verdict per file, naming the file and the field, and
    the unknown market code quarantined as ingest does."""
    folder = tmp_path / "incoming"
    (folder / "de").mkdir(parents=True)
    (folder / "zz").mkdir()
    impossible = folder / "de" / "de_2018-13-45--2018-14-01.csv.gz"
    shutil.copyfile(repo / REAL, impossible)
    current = folder / "regional-de-weekly-2023-02-30.csv"
    current.write_text("rank,uri\n")
    shutil.copyfile(repo / REAL, folder / "zz" / "zz_2017-05-12--2017-05-19.csv.gz")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSICMARKETS_ROOT", raising=False)

    code = main(["validate", str(folder)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    by_name = {Path(line.split()[1].rstrip(":")).name: line for line in out[:-1]}
    assert by_name[impossible.name].startswith("REJECTED")
    assert "field 'file name': impossible date" in by_name[impossible.name]
    assert (
        by_name[current.name].startswith("REJECTED") and "impossible date" in by_name[current.name]
    )
    zz = by_name["zz_2017-05-12--2017-05-19.csv.gz"]
    assert zz.startswith("QUARANTINED") and "unknown market code" in zz
    assert out[-1] == "0 accepted, 1 quarantined, 2 rejected"


def test_status_lists_the_reports_and_names_every_failed_gate(tmp_path, monkeypatch, capsys):
    import json

    from musicmarkets.cli import main

    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    metrics = tmp_path / "reports" / "metrics"
    metrics.mkdir(parents=True)
    (tmp_path / "reports" / "index.html").write_text("<html></html>")
    (metrics / "fit.json").write_text(json.dumps({"gates_failed": []}))
    (metrics / "recent_fit.json").write_text(json.dumps({"gates_failed": []}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MUSICMARKETS_ROOT", raising=False)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "report: reports/index.html" in out and "every quality gate passed" in out
    (metrics / "recent_fit.json").write_text(
        json.dumps({"gates_failed": ["es genre:Other: observed 0.34 outside 0.32 to 0.33"]})
    )
    assert main(["status"]) == 2
    assert "DRAFT" in capsys.readouterr().out


def test_validate_accepts_the_reference_chart_that_ingest_uses(repo, tmp_path, capsys, monkeypatch):
    """The chart that ingest compares against is named in params.yaml
    (``common.reference_chart``, here 'xx'): `validate` accepts that one, as ingest does, not a typed-in
    'global'."""
    from musicmarkets import config

    project = tmp_path / "project"
    countries = config.paths(repo).covariates_raw
    shutil.copytree(countries, project / countries.relative_to(repo))
    (project / "dvc.yaml").write_text("stages: {}\n")
    (project / "params.yaml").write_text("common:\n  reference_chart: xx\n")
    for code in ("xx", "global"):
        (project / code).mkdir()
        shutil.copyfile(repo / REAL, project / code / f"{code}_2017-05-12--2017-05-19.csv.gz")
    monkeypatch.chdir(project)
    monkeypatch.delenv("MUSICMARKETS_ROOT", raising=False)
    main(["validate", "xx", "global"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ACCEPTED") and "xx_2017" in out[0]
    assert out[1].startswith("QUARANTINED") and "unknown market code" in out[1]
