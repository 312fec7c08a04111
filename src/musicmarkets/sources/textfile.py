"""Reading delimited text exports as delivered: gzip or plain, with or without a byte-order mark,
UTF-8 or a legacy Windows encoding. Structural faults raise ChartFileError naming the file."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from musicmarkets.contracts import ChartFileError

FALLBACK_ENCODING = "cp1252"  # what spreadsheet tools on Windows write when not told otherwise
LINE = "_line"  # 1-based line number in the file of each data row


def decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with (``utf-8`` or the fallback)."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ChartFileError(
            path, None, None, f"cannot be read (truncated or corrupt gzip?): {exc}"
        ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode(FALLBACK_ENCODING, errors="replace"), FALLBACK_ENCODING


class Table(NamedTuple):
    """One file's records as text: header names, data rows (each as long as the header) and the
    1-based line on which each row starts."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]


def read_rows(
    path: Path, header: list[str], skip: int = 0, *, exact: bool = True, text: str | None = None
) -> Table:
    """The file's records after ``skip`` records and the header, checked against ``header``.

    ``exact``: the header must equal ``header``; otherwise it must contain those columns. Blank
    lines are skipped; a short row is padded with empty fields (its values then fail their
    checks and the row is quarantined); a row longer than the header rejects the file.
    """
    if text is None:
        text, _ = decode(path)
    if not text.strip():
        raise ChartFileError(path, None, None, "file is empty")
    try:
        records, lines = _records(text)
    except csv.Error as exc:
        raise ChartFileError(path, None, None, f"cannot be parsed: {exc}") from exc
    if len(records) <= skip:
        raise ChartFileError(path, None, None, "file has no header")
    cols = _unique(records[skip])
    if exact and cols != header:
        raise ChartFileError(path, lines[skip], "header", f"expected {header}, found {cols}")
    absent = [c for c in header if c not in cols]
    if absent:
        raise ChartFileError(path, lines[skip], "header", f"lacks columns {absent}; found {cols}")
    rows, lines = records[skip + 1 :], lines[skip + 1 :]
    if not rows:
        raise ChartFileError(path, None, None, "file has a header but no rows")
    width = len(cols)
    if set(map(len, rows)) != {width}:
        for row, line in zip(rows, lines, strict=True):
            if len(row) > width:
                raise ChartFileError(
                    path, line, None, f"cannot be parsed: {len(row)} fields, header has {width}"
                )
            row.extend([""] * (width - len(row)))
    return Table(path, cols, rows, lines)


def _records(text: str) -> tuple[list[list[str]], list[int]]:
    """Non-blank records and the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text))
    records = list(reader)
    if reader.line_num == len(records) and all(records):  # one line per record, none blank
        return records, list(range(1, len(records) + 1))
    reader = csv.reader(io.StringIO(text))
    records, lines, previous = [], [], 0
    for record in reader:
        if record:
            records.append(record)
            lines.append(previous + 1)
        previous = reader.line_num
    return records, lines


def _unique(names: list[str]) -> list[str]:
    """Header names with repeats numbered (``genre``, ``genre.1``), as spreadsheet tools do."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}.{n}")
    return out


def frame(tables: list[Table], columns: list[str] | None = None) -> pd.DataFrame:
    """The tables' ``columns`` (default: the first table's) stacked as one text frame, with the
    line of each row in ``_line`` and the position of its table in ``_file``."""
    columns = tables[0].columns if columns is None else columns
    values: dict[str, list[str]] = {c: [] for c in columns}
    for table in tables:
        by_column = list(zip(*table.rows, strict=True))
        for c in columns:
            values[c].extend(by_column[table.columns.index(c)])
    # arrow strings built straight from the lists: half the cost of pandas inferring them
    out = pd.DataFrame(
        {c: pd.array(pa.array(values[c], pa.string()), dtype="str") for c in columns}
    )
    out[LINE] = np.fromiter(chain.from_iterable(t.lines for t in tables), dtype=np.int64)
    out["_file"] = np.repeat(np.arange(len(tables)), [len(t.rows) for t in tables])
    return out


def read_table(
    path: Path, header: list[str], skip: int = 0, *, exact: bool = True, text: str | None = None
) -> pd.DataFrame:
    """All fields as strings, plus the line number of each row in ``_line``."""
    return frame([read_rows(path, header, skip, exact=exact, text=text)]).drop(columns="_file")
