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
