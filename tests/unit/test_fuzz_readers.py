"""Property-based tests: malformed chart files of both formats end in an accepted file,
quarantined rows with reasons, or a ChartFileError naming the file, never another exception."""

import gzip
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import charts
from musicmarkets.validate import validate_file

REAL = (
    Path(__file__).resolve().parents[1]
    / "fixtures/charts_legacy/de/de_2017-05-12--2017-05-19.csv.gz"
)
LINES = gzip.decompress(REAL.read_bytes()).decode("utf-8").splitlines(keepends=True)

junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
mutation = st.one_of(
    st.tuples(st.just("drop_line"), st.integers(0, 30)),
    st.tuples(st.just("dup_line"), st.integers(0, 30)),
    st.tuples(st.just("replace_field"), st.integers(0, 30), st.integers(0, 4), junk),
    st.tuples(st.just("insert_line"), st.integers(0, 30), junk),
    st.tuples(st.just("truncate_bytes"), st.integers(0, 4000)),
    st.tuples(st.just("encode"), st.sampled_from(["utf-8-sig", "cp1252", "latin-1", "utf-16"])),
)


def apply(lines: list[str], muts) -> bytes:
    lines = list(lines[:32])  # a short chart keeps each example fast
    encoding, cut = "utf-8", None
    for m in muts:
        kind, *args = m
        i = args[0] % max(len(lines), 1) if args and isinstance(args[0], int) else 0
        if kind == "drop_line" and lines:
            del lines[i]
        elif kind == "dup_line" and lines:
            lines.insert(i, lines[i])
        elif kind == "replace_field" and lines:
            parts = lines[i].rstrip("\n").split(",")
            parts[args[1] % len(parts)] = args[2].replace("\n", " ")
            lines[i] = ",".join(parts) + "\n"
        elif kind == "insert_line":
            lines.insert(i, args[1] + "\n")
        elif kind == "truncate_bytes":
            cut = args[0]
        elif kind == "encode":
            encoding = args[0]
    data = gzip.compress("".join(lines).encode(encoding, errors="replace"))
    return data[:cut] if cut is not None else data


def outcome(path: Path, fmt: str) -> str:
    try:
        if fmt == "legacy":
            f = charts.ChartFile("de", date(2017, 5, 12), date(2017, 5, 18), path, "legacy")
        else:
            f = charts.ChartFile("de", date(2022, 12, 30), date(2023, 1, 5), path, "current")
        rows = charts.read_file(f)
    except ChartFileError as exc:
        assert str(path) in str(exc)
        return "rejected"
    bad = rows["problem"].notna()
    assert all(isinstance(r, str) and r for r in rows.loc[bad, "problem"])
    assert rows.loc[~bad, "rank"].notna().all() and rows.loc[~bad, "streams"].notna().all()
    assert (rows.loc[~bad, "streams"] >= 0).all()
    return "quarantined" if bad.any() else "accepted"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(muts=st.lists(mutation, max_size=4))
def test_legacy_reader_gives_a_verdict_for_any_mangled_file(tmp_path, muts):
    path = tmp_path / "de" / "de_2017-05-12--2017-05-19.csv.gz"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(apply(LINES, muts))
    event(outcome(path, "legacy"))
    assert validate_file(path).status in {"accepted", "quarantined", "rejected"}


CURRENT = [
    "rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams\n"
] + [
    f'{r},spotify:track:{"A" * 21}{chr(65 + r % 26)},Artist {r},Song {r},Label,{r},{r},3,"{(300 - r) * 1000:,}"\n'
    for r in range(1, 31)
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(muts=st.lists(mutation, max_size=4))
def test_current_reader_gives_a_verdict_for_any_mangled_file(tmp_path, muts):
    path = tmp_path / "regional-de-weekly-2023-01-05.csv.gz"
    path.write_bytes(apply(CURRENT, muts))
    event(outcome(path, "current"))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_are_rejected_or_read(tmp_path, data):
    path = tmp_path / "regional-de-weekly-2023-01-05.csv"
    path.write_bytes(data)
    event(outcome(path, "current"))
