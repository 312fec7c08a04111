"""The schema of a daily stream report, as read from (hive-)partitioned Parquet.

| column        | type    | required | meaning                                                    |
|---------------|---------|----------|------------------------------------------------------------|
| date          | date    | yes      | day of the streams (UTC day of the service's report)       |
| market        | string  | yes      | ISO 3166-1 alpha-2, lower case (`de`, `gb`)                |
| track_id      | string  | yes      | the service's track id (or ISRC)                           |
| streams       | int64   | yes      | streams of at least 30 s that day, >= 0                    |
| listener_id   | string  | no       | pseudonymous listener (listener-level reports only)        |
| product_tier  | string  | no       | `free` / `premium` / `family` / ...                        |
| source        | string  | no       | `playlist` / `search` / `library` / `radio` / ...          |

Layout: any number of Parquet files under one folder or `s3://bucket/prefix/`, optionally in
hive partitions such as `market=de/` (then `market` comes from the path). Rows that break the
schema's rules are not aggregated: they go to the quarantine table with the reason.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

REQUIRED = {
    "date": pa.date32(),
    "market": pa.string(),
    "track_id": pa.string(),
    "streams": pa.int64(),
}
OPTIONAL = {
    "listener_id": pa.string(),
    "product_tier": pa.string(),
    "source": pa.string(),
}
SCHEMA = pa.schema([*REQUIRED.items(), *OPTIONAL.items()])


def check_columns(names: list[str], where: str) -> list[str]:
    """The optional columns present; a missing required column is an error naming `where`."""
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(f"{where}: stream report lacks required column(s) {missing}")
    return [c for c in OPTIONAL if c in names]


def schema_hash(schema: pa.Schema) -> str:
    """A short hash of column names and types (order-free), for the manifest."""
    text = ";".join(sorted(f"{f.name}:{f.type}" for f in schema))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
