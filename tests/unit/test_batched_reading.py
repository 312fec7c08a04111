"""The chart readers parse files one by one and type and check them as one batch: reading many
files together must give exactly the rows that reading each alone gives, and the fast paths
(Arrow's cast and regex) must agree with the pandas functions they replace."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from musicmarkets.contracts import ChartFileError, to_numbers
from musicmarkets.sources import charts, charts_legacy
from musicmarkets.sources.chart_types import track_ids
from musicmarkets.sources.textfile import read_rows, read_table


@pytest.fixture()
def mixed(legacy_fixture, repo, tmp_path) -> list[charts.ChartFile]:
    """Legacy files with and without features, with row faults, and current-format files."""
    root = tmp_path / "legacy"
    shutil.copytree(legacy_fixture, root)
    (root / "global_features" / "global_2017-05-19--2017-05-26.csv.gz").unlink()
    victim = root / "de" / "de_2017-05-19--2017-05-26.csv.gz"
    lines = gzip.decompress(victim.read_bytes()).decode("utf-8").splitlines(keepends=True)
    lines[5] = lines[4]  # rank 3 twice in this file (lines 0-1: disclaimer, header)
    lines[9] = lines[9].replace("https://open.spotify.com/track/", "https://example.com/")
    victim.write_bytes(gzip.compress("".join(lines).encode("utf-8")))
    current = repo / "data/raw/spotify_weekly_top200_current_format_sample"
    return charts.discover(root, current)


def test_a_batch_reads_exactly_what_each_file_reads_alone(mixed):
    assert {f.source_format for f in mixed} == {"legacy", "current"}
    assert any(f.features is None for f in mixed) and any(f.features for f in mixed)
    alone = pd.concat([charts.read_file(f) for f in mixed], ignore_index=True)
    together = charts.read_files(mixed)
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
    # the repeated rank is a fault of its own file only, and both faults keep their reasons
    problems = together.dropna(subset=["problem"])
    assert problems["file"].map(lambda p: Path(p).name).unique().tolist() == [
        "de_2017-05-19--2017-05-26.csv.gz"
    ]
    assert sorted(problems["problem"]) == [
        "rank 3 appears twice in the file",
        "track link is not a Spotify track",
    ]
    # current-format rows come after the legacy rows, as the files are listed
    assert together["source_format"].tolist() == sorted(
        together["source_format"], key=["legacy", "current"].index
    )


def test_worker_processes_give_the_rows_of_one_process(mixed, monkeypatch):
    monkeypatch.setattr(charts, "PARALLEL_MIN_FILES", 2)  # two workers for these few files
    monkeypatch.setattr(charts.os, "cpu_count", lambda: 2)
    parallel = charts._read_all(mixed)
    pd.testing.assert_frame_equal(parallel, charts.read_files(mixed), check_exact=True)


def test_line_numbers_follow_blank_lines_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,x\n\n2,"two\nlines"\n3,z\n')
    table = read_table(path, ["a", "b"])
    assert table["a"].tolist() == ["1", "2", "3"]
    assert table["_line"].tolist() == [2, 4, 6]
    assert table["b"].tolist() == ["x", "two\nlines", "z"]


def test_short_rows_are_padded_and_long_rows_reject_the_file_naming_the_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n")
    assert read_rows(path, ["a", "b", "c"]).rows == [["1", "2", "3"], ["4", "5", ""]]
    path.write_text("a,b,c\n1,2,3\n4,5,6,7\n")
    with pytest.raises(ChartFileError, match="row 3.*4 fields, header has 3") as err:
        read_rows(path, ["a", "b", "c"])
    assert str(path) in str(err.value)


def test_repeated_header_names_are_numbered_as_spreadsheets_do(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("genre,x,genre\nPop,1,Rock\n")
    assert read_rows(path, ["genre", "x"], exact=False).columns == ["genre", "x", "genre.1"]


@pytest.mark.parametrize(
    "values",
    [
        ["1", "2.5", "-3e-2", "0.1", "1e308", "123456789.123456789"],
        ["1", "", "x", " 2", "nan", "inf", "1,000"],
    ],
    ids=["clean (Arrow's cast)", "dirty (pandas fallback)"],
)
def test_to_numbers_agrees_with_pandas(values):
    series = pd.Series(values, dtype="str")
    expected = pd.to_numeric(series, errors="coerce").astype("float64")
    pd.testing.assert_series_equal(to_numbers(series), expected, check_exact=True)


def test_track_ids_agree_with_str_extract():
    links = pd.Series(
        [
            "https://open.spotify.com/track/" + "a1" * 11,
            "https://open.spotify.com/track/short",
            "",
            "https://open.spotify.com/track/" + "b2" * 11 + "?si=x",
        ],
        dtype="str",
    )
    expected = links.str.extract(charts_legacy.TRACK_URL)["id"]
    pd.testing.assert_series_equal(
        track_ids(links, charts_legacy.TRACK_URL), expected, check_names=False
    )
    assert np.asarray(track_ids(links, charts_legacy.TRACK_URL).isna()).tolist() == [
        False,
        True,
        True,
        True,
    ]
