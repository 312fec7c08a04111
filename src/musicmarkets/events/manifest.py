"""A small manifest of a (large, possibly remote) stream-report dataset, for DVC to track.

DVC need not pull billions of rows to know whether they changed: a stage that always runs
(`always_changed: true`) lists the files and writes keys, sizes, ETags (S3; version ids when the
bucket is versioned) or content hashes (local files), the row count of every file (from its
Parquet footer, not a scan) and a hash of the schema. The aggregation stage depends on this
manifest, so it re-runs only when the listing changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq

from musicmarkets.events.schema import check_columns, schema_hash


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _local(source: Path) -> list[dict]:
    if not source.is_dir():
        raise FileNotFoundError(f"stream reports: {source} is not a folder")
    files = sorted(p for p in source.rglob("*.parquet") if p.is_file())
    entries = []
    for p in files:
        meta = pq.ParquetFile(p)
        entries.append(
            {
                "key": p.relative_to(source).as_posix(),
                "size": p.stat().st_size,
                "md5": _md5(p),
                "rows": meta.metadata.num_rows,
                "schema": schema_hash(meta.schema_arrow),
                "columns": meta.schema_arrow.names,
            }
        )
    return entries


def _s3(source: str) -> list[dict]:
    import os

    import boto3

    from musicmarkets.events.aggregate import _s3_filesystem

    bucket, _, prefix = source.removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    fs = _s3_filesystem()
    entries = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not key.endswith(".parquet"):
                continue
            head = client.head_object(Bucket=bucket, Key=key)
            with fs.open_input_file(f"{bucket}/{key}") as f:  # reads the footer only
                meta = pq.ParquetFile(f)
                rows, schema = meta.metadata.num_rows, meta.schema_arrow
            entries.append(
                {
                    "key": key.removeprefix(prefix).lstrip("/"),
                    "size": obj["Size"],
                    "etag": obj["ETag"].strip('"'),
                    "version_id": head.get("VersionId"),
                    "rows": rows,
                    "schema": schema_hash(schema),
                    "columns": schema.names,
                }
            )
    return sorted(entries, key=lambda e: e["key"])


def build(source: str, name: str | None = None) -> dict:
    """The manifest of `source` (a folder or s3://bucket/prefix), recorded under ``name`` (by
    default ``source`` itself; a folder inside the project is recorded by its path relative to
    the project root, never by where this copy of the project happens to be)."""
    entries = _s3(source) if source.startswith("s3://") else _local(Path(source))
    if not entries:
        raise FileNotFoundError(f"stream reports: no Parquet file under {source}")
    for e in entries:
        # hive partition columns (market=de/) come from the path, not the file
        parts = [p.split("=", 1)[0] for p in e["key"].split("/")[:-1] if "=" in p]
        check_columns(e["columns"] + parts, f"{source}/{e['key']}")
    schemas = sorted({e["schema"] for e in entries})
    return {
        "source": source if name is None else name,
        "files": len(entries),
        "rows": sum(e["rows"] for e in entries),
        "bytes": sum(e["size"] for e in entries),
        "schemas": schemas,
        "entries": [{k: v for k, v in e.items() if k != "columns"} for e in entries],
    }


def write(source: str, out: Path, name: str | None = None) -> dict:
    """Write the manifest as JSON (rewritten only when it changed, so DVC sees no change)."""
    manifest = build(source, name)
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    if not out.exists() or out.read_text() != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return manifest
