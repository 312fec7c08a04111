import gzip
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import charts
from musicmarkets.sources import charts_legacy as cl


def read(root, **kw):
    return charts.read_charts(root, None, **kw)


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
    table, quarantine, stats = read(legacy_fixture)
    assert stats["files"] == 5 and stats["files_with_features"] == 5
    assert stats["rows"] == 1000 and stats["rows_quarantined"] == 0 and quarantine.empty
    assert stats["feature_id_mismatches"] == 0
    assert list(table.columns) == charts.TIDY_COLUMNS
    de = table[(table["market"] == "de") & (table["week_start"] == "2017-05-12")]
    assert de["rank"].tolist() == list(range(1, 201))
    assert de["streams"].is_monotonic_decreasing
    # the track id comes from the URL and the features file agrees with it
    assert de["track_id"].str.fullmatch(r"[A-Za-z0-9]{22}").all()
    assert de["danceability"].between(0, 1).all()


def test_date_window_selects_files(legacy_fixture):
    table, _, stats = read(legacy_fixture, markets=["de"], start="2017-05-19", end="2017-05-31")
    assert stats["files"] == 1 and set(table["week_start"]) == {pd.Timestamp("2017-05-19")}


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
    with pytest.raises(ChartFileError, match="de_2017-05-12--2017-05-19.csv.gz.*truncated"):
        read(tmp_path)


def test_unknown_header_names_row_and_field(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    _rewrite(target, lambda ls: [ls[0], ls[1].replace("Streams", "Plays"), *ls[2:]])
    with pytest.raises(ChartFileError, match=r"row 2, field 'header'.*Plays"):
        read(tmp_path)


def test_bad_values_are_quarantined_with_file_row_and_reason(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)

    def edit(lines):
        parts = lines[5].rsplit(",", 2)  # ..., Streams, URL  (file line 6 = rank 4)
        lines[5] = f"{parts[0]},lots,{parts[2]}"
        parts = lines[6].rsplit(",", 2)  # rank 5
        lines[6] = f"{parts[0]},-12,{parts[2]}"
        return [*lines[:8], lines[2], *lines[8:]]  # rank 1 again as file line 9

    _rewrite(target, edit)
    table, quarantine, stats = read(tmp_path)
    assert stats["rows_read"] == 201 and stats["rows"] == 198 and stats["rows_quarantined"] == 3
    got = quarantine.set_index("line")["reason"].to_dict()
    assert got == {
        6: "streams 'lots' is not a non-negative integer",
        7: "streams '-12' is not a non-negative integer",
        9: "rank 1 appears twice in the file",
    }
    assert (quarantine["file"] == str(target)).all()
    assert 4 not in set(table["rank"]) and 1 in set(table["rank"])


def test_same_week_delivered_twice_is_quarantined(legacy_fixture, tmp_path):
    legacy = tmp_path / "legacy"
    _copy_market(legacy_fixture, legacy)
    current = tmp_path / "current"
    current.mkdir()
    # the same German week again, in the current export format (week ends Thursday 2017-05-18)
    lines = (
        gzip.decompress((legacy / "de/de_2017-05-12--2017-05-19.csv.gz").read_bytes())
        .decode()
        .splitlines()
    )
    rows = [
        "rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams"
    ]
    for line in lines[2:]:
        pos, rest = line.split(",", 1)
        head, streams, url = rest.rsplit(",", 2)
        tid = url.rsplit("/", 1)[-1]
        rows.append(f'{pos},spotify:track:{tid},x,y,label,1,1,1,"{int(streams):,}"')
    (current / "regional-de-weekly-2017-05-18.csv").write_text("\ufeff" + "\n".join(rows) + "\n")
    table, quarantine, stats = charts.read_charts(legacy, current)
    assert stats["files_current"] == 1 and stats["rows"] == 200 and len(quarantine) == 200
    assert set(quarantine["reason"]) == {
        "week already delivered by de_2017-05-12--2017-05-19.csv.gz"
    }
    assert set(table["source_format"]) == {"legacy"}


def test_quoted_thousands_separators_are_numbers(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    week = charts.ChartFile("de", date(2017, 5, 12), date(2017, 5, 18), target, "legacy")
    original = cl.read_plain(week)

    def edit(lines):
        parts = lines[2].rsplit(",", 2)
        lines[2] = f'{parts[0]},"{int(parts[1]):,}",{parts[2]}'
        return lines

    _rewrite(target, edit)
    again = cl.read_plain(week)
    np.testing.assert_array_equal(again["streams"], original["streams"])
    assert again["problem"].isna().all()


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "de_2017-05-12--2017-05-19.csv.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(ChartFileError, match="empty"):
        read(tmp_path)


def test_raw_files_are_not_modified(legacy_fixture):
    before = {p: p.stat().st_mtime_ns for p in legacy_fixture.rglob("*.gz")}
    read(legacy_fixture)
    assert before == {p: p.stat().st_mtime_ns for p in legacy_fixture.rglob("*.gz")}


def test_parallel_read_equals_sequential_and_keeps_errors(legacy_fixture, tmp_path, monkeypatch):
    sequential, _, _ = read(legacy_fixture)
    monkeypatch.setattr(charts, "PARALLEL_MIN_FILES", 1)  # force worker processes on 5 files
    parallel, _, _ = read(legacy_fixture)
    pd.testing.assert_frame_equal(parallel, sequential)
    shutil.copytree(legacy_fixture, tmp_path / "charts")
    victim = tmp_path / "charts/de/de_2017-05-19--2017-05-26.csv.gz"
    victim.write_bytes(victim.read_bytes()[:300])
    with pytest.raises(ChartFileError, match="de_2017-05-19--2017-05-26.csv.gz") as err:
        read(tmp_path / "charts")
    assert err.value.path == victim  # rebuilt from its fields after crossing the process boundary


def test_non_utf8_file_is_read_with_the_fallback_encoding(legacy_fixture, tmp_path):
    target = _copy_market(legacy_fixture, tmp_path)
    text = gzip.decompress(target.read_bytes()).decode("utf-8")
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].replace(lines[2].split(",")[1], '"Café Olé"', 1)
    target.write_bytes(gzip.compress("".join(lines).encode("cp1252")))
    table, quarantine, _ = read(tmp_path)
    assert quarantine.empty and "Café Olé" in set(table["track_name"])
