"""Keeping the Iceberg lake tidy: expire old snapshots, remove orphan files, migrate a Hive lake.

* ``maintain``: per table, snapshots older than the cutoff are expired (the current one always
  stays), then every file under the table's location that no remaining snapshot or metadata
  version references, and that is itself older than the cutoff, is deleted: replaced days,
  files of runs killed before their commit, manifests of commits that lost a race. The age
  rule protects a writer still between writing its files and committing them.
* ``migrate``: a lake written before Iceberg (``<table>/dt=D/*.parquet``) becomes Iceberg
  tables without rewriting data: each day's files are added in one commit per table. Days the
  table already holds are skipped, so a rerun adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import TYPE_CHECKING

from toolkit.lake import iceberg

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from toolkit.lake import Lake

log = logging.getLogger(__name__)

_HIVE_FILE = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/[^/]+\.parquet$")


def lake_table_names(lake: Lake) -> list[str]:
    """Lake names of the Iceberg tables this lake can hold: the base tables and every
    ``curated/<model>`` folder or catalog table found."""
    names = list(iceberg.ICEBERG_TABLES)
    curated = lake.table("curated")
    fs = lake.fs
    if fs.exists(curated):
        names += [f"curated/{p.rstrip('/').rsplit('/', 1)[-1]}" for p in fs.ls(curated, detail=False)]
    found = iceberg.catalog(lake)
    try:
        listed = found.list_tables(lake.database) if found is not None else []
    except Exception:  # noqa: BLE001 - a catalog without the namespace yet lists nothing
        listed = []
    names += [f"curated/{ident[-1]}" for ident in listed if ident[-1].startswith("cur_")]
    return sorted(set(names))


def parse_age(text: str) -> dt.timedelta:
    """``7d``, ``12h``, ``30m`` -> a timedelta (clear error otherwise)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", str(text))
    if not match:
        raise ValueError(f"expected an age like 7d, 12h or 30m, got {text!r}")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return dt.timedelta(**{unit: int(match.group(1))})


def maintain(lake: Lake, older_than: dt.timedelta, now: dt.datetime | None = None) -> dict[str, dict]:
    """Expire snapshots and remove orphan files older than ``older_than``; counts per table."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    results = {}
    for name in lake_table_names(lake):
        table = iceberg.load(lake, name)
        if table is None:
            continue
        expired = _expire(table, cutoff)
        removed = _remove_orphans(lake, table.refresh(), cutoff)
        results[name] = {"snapshots_expired": expired, "files_removed": removed}
        log.info("maintained %s: %d snapshot(s) expired, %d orphan file(s) removed", name, expired, removed)
    return results


def _expire(table: Table, cutoff: dt.datetime) -> int:
    current = table.current_snapshot()
    old = [s.snapshot_id for s in table.snapshots()
           if s.timestamp_ms < cutoff.timestamp() * 1000 and (current is None or s.snapshot_id != current.snapshot_id)]
    if old:
        table.maintenance.expire_snapshots().by_ids(old).commit()
    return len(old)


def referenced_files(table: Table) -> set[str]:
    """Every file the table's metadata still points at (data, manifests, lists, versions)."""
    found = {table.metadata_location, *(entry.metadata_file for entry in table.metadata.metadata_log)}
    for snapshot in table.snapshots():
        found.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(table.io):
            found.add(manifest.manifest_path)
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                found.add(entry.data_file.file_path)
    return {_bare(p) for p in found}


def _remove_orphans(lake: Lake, table: Table, cutoff: dt.datetime) -> int:
    keep = referenced_files(table)
    fs = lake.fs
    location = table.location()
    if not fs.exists(location):
        return 0
    orphans = [path for path, info in fs.find(location, detail=True).items()
               if _bare(path) not in keep and _modified(info) < cutoff]
    for path in orphans:
        fs.rm(path)
    _remove_empty_dirs(lake, location)
    return len(orphans)


def _bare(path: str) -> str:
    """A path without scheme, for comparing catalog paths with filesystem listings."""
    return path.split("://", 1)[-1]


def _modified(info: dict) -> dt.datetime:
    value = info.get("LastModified") or info.get("mtime") or info.get("created")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(value or 0), dt.UTC)


def _remove_empty_dirs(lake: Lake, location: str) -> None:
    """Local lakes: drop run folders emptied by orphan removal (S3 has no folders)."""
    if lake.is_s3:
        return
    for root, dirs, files in os.walk(location, topdown=False):
        if not dirs and not files and root != location:
            os.rmdir(root)


def migrate(lake: Lake) -> dict[str, int]:
    """Add the Hive-layout files of every table to its Iceberg table; files added per table."""
    added = {}
    for name in lake_table_names(lake):
        hive = _hive_files(lake, name)
        table = iceberg.load(lake, name)
        held = {d.isoformat() for d in iceberg.days(table)} if table is not None else set()
        todo = {dt.date.fromisoformat(day): paths for day, paths in hive.items() if day not in held}
        if todo:
            iceberg.commit_files(lake, name, todo, replace=False)
        added[name] = sum(len(p) for p in todo.values())
    return added


def _hive_files(lake: Lake, name: str) -> dict[str, list[str]]:
    """``dt=D/*.parquet`` files directly in a table's day folders (not Iceberg run folders)."""
    base = lake.table(name)
    fs = lake.fs
    if not fs.exists(base):
        return {}
    by_day: dict[str, list[str]] = {}
    for path in sorted(fs.find(base)):
        url = ("s3://" + path) if lake.is_s3 and not path.startswith("s3://") else path
        match = _HIVE_FILE.search(url.replace("\\", "/"))
        if match:
            by_day.setdefault(match.group(1), []).append(url)
    return by_day
