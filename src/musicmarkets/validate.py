"""``musicmarkets validate PATH...``: check chart files against the contracts without running
the pipeline. One verdict per file: accepted, rows quarantined (with reasons) or rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from musicmarkets.contracts import ChartFileError
from musicmarkets.sources import charts, charts_current, charts_legacy


@dataclass
class Verdict:
    path: Path
    status: str  # accepted | quarantined | rejected
    rows: int = 0
    quarantined: list[str] = field(default_factory=list)  # "row N: reason"
    reason: str = ""

    def line(self) -> str:
        if self.status == "rejected":
            return f"REJECTED     {self.path}: {self.reason}"
        if self.status == "quarantined":
            shown = "; ".join(self.quarantined[:5])
            more = f"; and {len(self.quarantined) - 5} more" if len(self.quarantined) > 5 else ""
            return (
                f"QUARANTINED  {self.path}: {len(self.quarantined)} of {self.rows} rows "
                f"({shown}{more})"
            )
        return f"ACCEPTED     {self.path}: {self.rows} rows"


def chart_file(path: Path) -> charts.ChartFile:
    """The ChartFile a path stands for, by its name (either export format)."""
    if charts_legacy.FILE_NAME.match(path.name):
        market, start, end = charts_legacy.parse_file_name(path)
        feat = path.parent.parent / f"{path.parent.name}_features" / path.name
        return charts.ChartFile(
            market, start, end, path, "legacy", feat if feat.is_file() else None
        )
    if charts_current.FILE_NAME.match(path.name):
        market, start, end = charts_current.parse_file_name(path)
        return charts.ChartFile(market, start, end, path, "current")
    raise ChartFileError(
        path,
        None,
        "file name",
        "matches neither <market>_<start>--<end>.csv[.gz] (legacy) nor "
        "regional-<market>-weekly-<date>.csv[.gz] (current)",
    )


def validate_file(path: Path, known_markets: set[str] | None = None) -> Verdict:
    try:
        if path.parent.name.endswith("_features"):
            feats = charts_legacy.read_features(path)
            return Verdict(path, "accepted", rows=len(feats))
        rows = charts.read_file(chart_file(path))
    except ChartFileError as exc:
        return Verdict(
            path, "rejected", reason=str(exc).removeprefix(f"{path}, ").removeprefix(f"{path}: ")
        )
    if known_markets is not None and rows["market"].iloc[0] not in known_markets:
        rows.loc[rows["problem"].isna(), "problem"] = "unknown market code"
    bad = rows[rows["problem"].notna()]
    notes = [
        f"row {line}: {reason}" for line, reason in zip(bad["line"], bad["problem"], strict=True)
    ]
    return Verdict(path, "quarantined" if notes else "accepted", rows=len(rows), quarantined=notes)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders expand to the chart files below them."""
    out: list[Path] = []
    for p in paths:
        out += sorted(q for q in p.rglob("*.csv*") if q.is_file()) if p.is_dir() else [p]
    return out


def validate(paths: list[Path], known_markets: set[str] | None = None) -> list[Verdict]:
    return [validate_file(p, known_markets) for p in expand(paths)]
