import gzip
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import charts_legacy as cl


def test_file_name_gives_market_and_friday_to_thursday_week():
    market, start, end = cl.parse_file_name(Path("de_2017-05-12--2017-05-19.csv.gz"))
    assert (market, start, end) == ("de", date(2017, 5, 12), date(2017, 5, 18))
    assert start.weekday() == 4 and end.weekday() == 3  # Friday .. Thursday


@pytest.mark.parametrize(
    "name, problem",
    [
        ("de_2017-05-12.csv.gz", "expected <market>"),
        ("de_2017-05-12--2017-05-20.csv.gz", "not 7 days"),
    ],
)
def test_bad_file_names_are_rejected_with_the_name(name, problem):
    with pytest.raises(ChartFileError, match=problem) as err:
        cl.parse_file_name(Path(name))
    assert name in str(err.value)


def test_reads_real_excerpt_with_features(legacy_fixture):
    charts, stats = cl.read_charts(legacy_fixture)
    assert stats == {"files": 5, "files_with_features": 5, "rows": 1000, "feature_id_mismatches": 0}
    assert list(charts.columns) == cl.TIDY_COLUMNS
    de = charts[(charts["market"] == "de") & (charts["week_start"] == "2017-05-12")]
    assert de["rank"].tolist() == list(range(1, 201))
    assert de["streams"].is_monotonic_decreasing
    # the track id comes from the URL and the features file agrees with it
    assert de["track_id"].str.fullmatch(r"[A-Za-z0-9]{22}").all()
    assert de["danceability"].between(0, 1).all()


def test_date_window_selects_files(legacy_fixture):
    charts, stats = cl.read_charts(
        legacy_fixture, markets=["de"], start="2017-05-19", end="2017-05-31"
    )
    assert stats["files"] == 1 and set(charts["week_start"]) == {pd.Timestamp("2017-05-19")}


def test_italian_feature_variant_with_extra_columns(repo):
    path = next((repo / "tests/fixtures/it_features_variant").glob("*.csv.gz"))
    feats = cl.read_features(path)
    assert len(feats) == 200 and feats["feature_id"].notna().all()


def _copy_market(src: Path, dest: Path, week: str = "2017-05-12--2017-05-19") -> Path:
    (dest / "de").mkdir(parents=True)
    target = dest / "de" / f"de_{week}.csv.gz"
    shutil.copyfile(src / "de" / f"de_{week}.csv.gz", target)
    return target


def _rewrite(path: Path, edit) -> None:
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)
    path.write_bytes(gzip.compress("".join(edit(lines)).encode("utf-8")))


def test_truncated_gzip_names_the_file(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    target.write_bytes(target.read_bytes()[:400])
    with pytest.raises(ChartFileError, match="de_2017-05-12--2017-05-19.csv.gz"):
        cl.read_charts(tmp_path)


def test_unknown_header_names_row_and_field(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    _rewrite(target, lambda ls: [ls[0], ls[1].replace("Streams", "Plays"), *ls[2:]])
    with pytest.raises(ChartFileError, match=r"row 2, field 'header'.*Plays"):
        cl.read_charts(tmp_path)


def test_non_numeric_streams_names_row_and_field(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)

    def edit(lines):
        parts = lines[5].rsplit(",", 2)  # ..., Streams, URL
        lines[5] = f"{parts[0]},lots,{parts[2]}"
        return lines

    _rewrite(target, edit)
    with pytest.raises(ChartFileError, match=r"row 6, field 'Streams': 'lots'"):
        cl.read_charts(tmp_path)


def test_quoted_thousands_separators_are_numbers(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    original = cl.read_plain(cl.ChartFile("de", date(2017, 5, 12), date(2017, 5, 18), target))

    def edit(lines):
        parts = lines[2].rsplit(",", 2)
        lines[2] = f'{parts[0]},"{int(parts[1]):,}",{parts[2]}'
        return lines

    _rewrite(target, edit)
    again = cl.read_plain(cl.ChartFile("de", date(2017, 5, 12), date(2017, 5, 18), target))
    np.testing.assert_array_equal(again["streams"], original["streams"])


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "de_2017-05-12--2017-05-19.csv.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(ChartFileError, match="empty"):
        cl.read_charts(tmp_path)


def test_duplicate_rank_is_rejected(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    _rewrite(target, lambda ls: [*ls[:3], ls[2], *ls[4:]])
    with pytest.raises(ChartFileError, match=r"row 4, field 'Position': rank 1 appears twice"):
        cl.read_charts(tmp_path)


def test_raw_files_are_not_modified(legacy_fixture):
    before = {p: p.stat().st_mtime_ns for p in legacy_fixture.rglob("*.gz")}
    cl.read_charts(legacy_fixture)
    assert before == {p: p.stat().st_mtime_ns for p in legacy_fixture.rglob("*.gz")}


def test_parallel_read_equals_sequential_and_keeps_errors(legacy_fixture, tmp_path, monkeypatch):
    sequential, _ = cl.read_charts(legacy_fixture)
    monkeypatch.setattr(cl, "PARALLEL_MIN_FILES", 1)  # force worker processes on 5 files
    parallel, _ = cl.read_charts(legacy_fixture)
    pd.testing.assert_frame_equal(parallel, sequential)
    shutil.copytree(legacy_fixture, tmp_path / "charts")
    victim = tmp_path / "charts/de/de_2017-05-19--2017-05-26.csv.gz"
    victim.write_bytes(victim.read_bytes()[:300])
    with pytest.raises(ChartFileError, match="de_2017-05-19--2017-05-26.csv.gz") as err:
        cl.read_charts(tmp_path / "charts")
    assert err.value.path == victim  # rebuilt from its fields after crossing the process boundary
