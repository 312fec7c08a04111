"""Reading delimited text exports as delivered: gzip or plain, with or without a byte-order mark,
UTF-8 or a legacy Windows encoding. Structural faults raise ChartFileError naming the file."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import pandas as pd

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


def read_table(
    path: Path, header: list[str], skip: int = 0, *, exact: bool = True, text: str | None = None
) -> pd.DataFrame:
    """All fields as strings, plus the line number of each row in ``_line``.

    ``exact``: the header must equal ``header``; otherwise it must contain those columns.
    """
    if text is None:
        text, _ = decode(path)
    if not text.strip():
        raise ChartFileError(path, None, None, "file is empty")
    try:
        df = pd.read_csv(io.StringIO(text), skiprows=skip, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise ChartFileError(path, None, None, "file has no header") from exc
    except pd.errors.ParserError as exc:
        raise ChartFileError(path, None, None, f"cannot be parsed: {exc}") from exc
    cols = list(df.columns)
    if exact and cols != header:
        raise ChartFileError(path, skip + 1, "header", f"expected {header}, found {cols}")
    absent = [c for c in header if c not in cols]
    if absent:
        raise ChartFileError(path, skip + 1, "header", f"lacks columns {absent}; found {cols}")
    if df.empty:
        raise ChartFileError(path, None, None, "file has a header but no rows")
    df[LINE] = range(skip + 2, skip + 2 + len(df))
    return df
