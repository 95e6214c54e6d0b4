"""Where things live in the lake, fsspec I/O, and atomic day commits.

A lake URL is a plain path, a ``file://`` URL or an ``s3://`` URL. S3 goes through s3fs and
honours ``AWS_ENDPOINT_URL`` (moto's server locally, any S3-compatible store in production).

The tables trailwatch writes (``events``, ``insights``, ``metrics``, ``alarm_states``,
``anomalies``, ``findings``, ``curated/<model>``) are Apache Iceberg tables
(``toolkit.lake.iceberg``): data files in ``<lake>/<table>/dt=YYYY-MM-DD/`` folders, and the
catalog (SQLite in ``<lake>/_catalog/`` or AWS Glue) says which files make up each table now.
Replacing a day is one Iceberg commit, so readers see the old day or the new one, never a mix.
Other folders (``_quarantine``, ``_runs``, ``reports``) are plain files written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.errors import UsageError
from toolkit.lake import iceberg
from toolkit.lake.iceberg import is_iceberg

if TYPE_CHECKING:
    import fsspec
    import pyarrow as pa

# Table locations relative to the lake root: one source of truth for every writer and reader.
TABLES = {
    "events": "cloudtrail/events",
    "insights": "cloudtrail/insights",
    "quarantine": "cloudtrail/_quarantine",
    "ingest_runs": "cloudtrail/_runs",
    "metrics": "cloudwatch/metrics",
    "alarm_states": "cloudwatch/alarm_states",
    "anomalies": "cloudwatch/anomalies",
    "findings": "findings",
    "curated": "curated",
    "reports": "reports",
}


def parse_day(value: str | dt.date) -> dt.date:
    """Parse ``YYYY-MM-DD`` (or pass a date through) with a clear error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def day_range(start: str | dt.date, end: str | dt.date) -> list[dt.date]:
    """Every day from ``start`` to ``end`` inclusive."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def storage_options(endpoint_url: str | None = None) -> dict:
    """s3fs options: the AWS session in use (``toolkit.aws``) and an explicit or configured endpoint."""
    from toolkit.aws import s3fs_options

    return s3fs_options(endpoint_url)


def filesystem(url: str, endpoint_url: str | None = None) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem for a URL (local or S3)."""
    import fsspec

    if url.startswith("s3://"):
        return fsspec.filesystem("s3", **storage_options(endpoint_url))
    return fsspec.filesystem("file")


def normalize(url: str) -> str:
    """A lake/raw URL in canonical form: ``s3://bucket/prefix`` or an absolute local path."""
    url = str(url)
    if url.startswith("s3://"):
        return url.rstrip("/")
    if url.startswith("file://"):
        url = url[len("file://") :]
    return os.path.abspath(os.path.expanduser(url))


def join(base: str, *parts: str) -> str:
    """Join URL parts with ``/`` (works for S3 and local paths)."""
    return posixpath.join(base, *parts) if base.startswith("s3://") else os.path.join(base, *parts)


def default_catalog(root: str) -> str:
    """``TRAILWATCH_CATALOG``, else SQLite for a local lake and Glue for an ``s3://`` lake."""
    return os.environ.get("TRAILWATCH_CATALOG") or ("glue" if root.startswith("s3://") else "sqlite")


@dataclass(frozen=True)
class Lake:
    """A lake root, its Iceberg catalog, and the paths of its tables and partitions."""

    root: str
    endpoint_url: str | None = None
    catalog: str = "sqlite"          # sqlite | glue (see toolkit.lake.iceberg)
    database: str = "trailwatch"     # catalog namespace = Glue/Athena database
    region: str = "us-east-1"

    @classmethod
    def at(cls, url: str, endpoint_url: str | None = None, catalog: str | None = None,
           database: str | None = None) -> Lake:
        """A lake; unset arguments come from the environment (see ``toolkit.config.Settings``)."""
        root = normalize(url)
        return cls(root, endpoint_url or os.environ.get("AWS_ENDPOINT_URL"),
                   catalog or default_catalog(root),
                   database or os.environ.get("TRAILWATCH_ATHENA_DATABASE") or "trailwatch",
                   os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        return filesystem(self.root, self.endpoint_url)

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def table(self, name: str) -> str:
        """URL of a table; names from ``TABLES`` or ``curated/<model>``."""
        rel = TABLES.get(name) or name
        return join(self.root, rel)

    def partition(self, name: str, day: str | dt.date) -> str:
        """URL of one ``dt=`` partition of a table."""
        return join(self.table(name), f"dt={parse_day(day).isoformat()}")

    def exists(self, url: str) -> bool:
        return self.fs.exists(url)

    def days(self, name: str) -> list[dt.date]:
        """Days that hold data in a table, sorted (Iceberg: read from the manifests only)."""
        if is_iceberg(name):
            table = iceberg.load(self, name)
            return iceberg.days(table) if table is not None else []
        found = set()
        for path in self.files(name):
            for part in path.replace("\\", "/").split("/"):
                if part.startswith("dt=") and len(part) == 13:
                    found.add(dt.date.fromisoformat(part[3:]))
        return sorted(found)

    def files(self, name: str, day: str | dt.date | None = None, suffix: str = ".parquet",
              snapshot_id: int | None = None) -> list[str]:
        """Data files of a table (or one day) visible now (or in ``snapshot_id``), sorted.

        For Iceberg tables these are the files of the current snapshot, planned through the
        catalog: replaced files still on storage (kept for time travel) are not listed.
        """
        if is_iceberg(name):
            table = iceberg.load(self, name)
            if table is None:
                return []
            day = parse_day(day) if day is not None else None
            return sorted(f.file_path for f in iceberg.day_files(table, day, snapshot_id))
        base = self.partition(name, day) if day is not None else self.table(name)
        fs = self.fs
        if not fs.exists(base):
            return []
        found = [p for p in fs.find(base) if p.endswith(suffix) and "/_staging" not in p
                 and "/." not in p.replace(base, "")]
        return sorted(("s3://" + p) if self.is_s3 and not p.startswith("s3://") else p for p in found)

    def snapshot_id(self, name: str) -> int | None:
        """Current Iceberg snapshot id of a table (None while it holds no commit)."""
        table = iceberg.load(self, name)
        snapshot = table.current_snapshot() if table is not None else None
        return snapshot.snapshot_id if snapshot is not None else None

    def last_commit(self, name: str) -> int | None:
        """Snapshot id of this thread's last commit to a table (what a run just wrote)."""
        return iceberg.last_commit(self, name)

    def preload(self):
        """Start importing the commit's libraries in the background (see ``iceberg.preload``);
        returns the thread to join before committing."""
        return iceberg.preload(self)

    def commit_day(self, name: str, day: str | dt.date, paths: list[str], *, replace: bool = True) -> int:
        """One Iceberg commit of Parquet files already under the table: replace the day with
        them (default) or add them to it (``replace=False``, e.g. late records). Snapshot id."""
        commit = iceberg.replace_day if replace else iceberg.append_files
        return commit(self, name, parse_day(day), list(paths))

    def drop_day(self, name: str, day: str | dt.date) -> int | None:
        """One commit removing a day's rows (e.g. findings of a day where nothing fires any
        more). Snapshot id, or None when the table was never written."""
        return iceberg.commit_files(self, name, {parse_day(day): []}, replace=True)

    def append_files(self, name: str, day: str | dt.date, paths: list[str]) -> int:
        """Add Parquet files to a day in one commit (the day's other files stay). Snapshot id."""
        return self.commit_day(name, day, paths, replace=False)

    @contextmanager
    def replacing_partition(self, name: str, day: str | dt.date, *, replace: bool = True) -> Iterator[str]:
        """Yield a new folder to write the day's Parquet files into; on success one commit
        replaces the day with them (``replace=False``: adds them to the day).

        Iceberg tables: the folder is ``<table>/dt=D/run-<id>/``, unique to this run, so
        concurrent writers never touch each other's files; a failure removes it and leaves
        the day as it was. Plain folders (quarantine): staged aside, then swapped in.
        """
        if is_iceberg(name):
            iceberg.check_catalog(self)
            folder = join(self.partition(name, day), f"run-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-"
                                                     f"{uuid.uuid4().hex[:12]}")
            fs = self.fs
            fs.makedirs(folder, exist_ok=True)
            try:
                yield folder
                paths = sorted(p if not self.is_s3 or p.startswith("s3://") else "s3://" + p
                               for p in fs.find(folder) if p.endswith(".parquet"))
                if not paths:
                    raise ValueError(f"{name} dt={parse_day(day)}: the writer produced no Parquet file")
                self.commit_day(name, day, paths, replace=replace)
            except BaseException:
                if fs.exists(folder):
                    fs.rm(folder, recursive=True)
                raise
            return
        with self._swapping_folder(name, day) as staging:
            yield staging

    @contextmanager
    def _swapping_folder(self, name: str, day: str | dt.date) -> Iterator[str]:
        """Stage a plain (non-Iceberg) partition aside, then swap it in (rename locally,
        copy-then-delete on S3). A crash before the swap leaves the old partition intact and
        a staging dir that the next run of the day removes."""
        target = self.partition(name, day)
        prefix = f"dt={parse_day(day).isoformat()}-"
        staging_root = join(self.table(name), "_staging")
        staging = join(staging_root, prefix + uuid.uuid4().hex[:8])
        fs = self.fs
        fs.makedirs(staging, exist_ok=True)
        try:
            yield staging
            with _swap_lock(self, staging_root):  # concurrent runs of the day swap one at a time
                swap_directory(fs, staging, target, is_s3=self.is_s3)
        except BaseException:
            if fs.exists(staging):
                fs.rm(staging, recursive=True)
            raise
        finally:
            self._clean_staging(name)

    def _clean_staging(self, name: str) -> None:
        """Remove staging folders that killed runs left over a day ago, and the staging root
        once empty (a local ``.lock`` file stays: removing it could let two swaps overlap)."""
        staging_root = join(self.table(name), "_staging")
        fs = self.fs
        if not fs.exists(staging_root):
            return
        stale = time.time() - 86400
        for info in fs.ls(staging_root, detail=True):
            if info.get("type") == "directory" and (info.get("mtime") or time.time()) < stale:
                fs.rm(info["name"], recursive=True)
        if not fs.ls(staging_root, detail=False):
            fs.rm(staging_root, recursive=True)

    def write_parquet(self, name: str, day: str | dt.date, table: pa.Table, **kwargs) -> str:
        """Replace a day with one Parquet file holding ``table`` (one commit); the day's URL."""
        import pyarrow.parquet as pq

        kwargs.setdefault("compression", "zstd")
        with self.replacing_partition(name, day) as staging:
            with self.fs.open(join(staging, "part-0.parquet"), "wb") as fh:
                pq.write_table(table, fh, **kwargs)
        return self.partition(name, day)

    def write_text(self, url: str, text: str) -> None:
        """Atomically write a small text file (write aside, then rename or single PUT)."""
        write_bytes_atomic(self.fs, url, text.encode(), is_s3=self.is_s3)


def snapshot_ids(lake: Lake | str, tables: list[str] | None = None) -> dict[str, int | None]:
    """Current Iceberg snapshot id of each lake table (None: no commit yet; default: every
    table of the lake), to record exactly what data a report or run read
    (``trailwatch query --as-of ID`` reads it again)."""
    lake = lake if isinstance(lake, Lake) else Lake.at(lake)
    if tables is None:
        from toolkit.lake.maintenance import lake_table_names

        tables = lake_table_names(lake)
    return {name: lake.snapshot_id(name) for name in tables}


def parse_as_of(value: str) -> int | dt.datetime:
    """``--as-of``: a snapshot id (digits) or an ISO time (UTC unless it says otherwise)."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--as-of wants a snapshot id or a time like 2025-03-06T12:00:00Z, "
                         f"got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def snapshots_as_of(lake: Lake, tables: list[str], as_of: str | int | dt.datetime) -> dict[str, int | None]:
    """The snapshot of each table a read ``as_of`` sees (None: the table was empty then).

    A time applies to every table. A snapshot id belongs to one table: that table is read at
    it, the others as they were when it was committed — one consistent point in time.
    """
    moment = parse_as_of(as_of) if isinstance(as_of, str) else as_of
    loaded = {name: iceberg.load(lake, name) for name in tables}
    if isinstance(moment, int):
        owner = next((n for n, t in loaded.items() if t is not None and t.snapshot_by_id(moment)), None)
        if owner is None:
            raise UsageError(f"no table of {lake.root} has snapshot {moment} (expired by `lake "
                             "maintain`, or from another lake); use a time instead")
        when = dt.datetime.fromtimestamp(loaded[owner].snapshot_by_id(moment).timestamp_ms / 1000, dt.UTC)
        pinned = {n: iceberg.snapshot_as_of(t, when) if t is not None else None for n, t in loaded.items()}
        pinned[owner] = moment
        return pinned
    return {n: iceberg.snapshot_as_of(t, moment) if t is not None else None for n, t in loaded.items()}


@contextmanager
def _swap_lock(lake: Lake, staging_root: str) -> Iterator[None]:
    """An exclusive lock around a local folder swap (S3 has no rename to protect)."""
    if lake.is_s3:
        yield
        return
    import fcntl

    os.makedirs(staging_root, exist_ok=True)
    with open(os.path.join(staging_root, ".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_bytes_atomic(fs, url: str, data: bytes, is_s3: bool | None = None) -> None:
    """Write ``data`` to ``url`` so readers see the old or new content, never a mix."""
    is_s3 = url.startswith("s3://") if is_s3 is None else is_s3
    parent = posixpath.dirname(url) if is_s3 else os.path.dirname(url)
    fs.makedirs(parent, exist_ok=True)
    if is_s3:  # a single PUT is atomic on S3
        with fs.open(url, "wb") as fh:
            fh.write(data)
        return
    tmp = f"{url}.tmp-{uuid.uuid4().hex[:8]}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, url)


def swap_directory(fs, staging: str, target: str, is_s3: bool) -> None:
    """Replace ``target`` with ``staging``: rename locally, copy-then-delete on S3."""
    if not is_s3:
        old = f"{target}.old-{uuid.uuid4().hex[:8]}"
        if os.path.exists(target):
            os.rename(target, old)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(staging, target)
        if os.path.exists(old):
            fs.rm(old, recursive=True)
        return
    old_keys = set(fs.find(target)) if fs.exists(target) else set()
    new_keys = []
    for src in fs.find(staging):
        dst = target.rstrip("/") + "/" + src.split(staging.split("://", 1)[-1].rstrip("/") + "/", 1)[-1]
        fs.copy(src, dst)
        new_keys.append(dst.split("://", 1)[-1])
    stale = [k for k in old_keys if k not in set(new_keys)]
    if stale:
        fs.rm(stale)
    fs.rm(staging, recursive=True)
