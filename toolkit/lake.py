"""Where things live in the lake, and fsspec I/O with atomic partition replacement.

A lake URL is a plain path, a ``file://`` URL or an ``s3://`` URL. Tables are Hive-partitioned
by day: ``<lake>/<table>/dt=YYYY-MM-DD/part-*.parquet``. S3 goes through s3fs and honours
``AWS_ENDPOINT_URL`` (moto's server locally, any S3-compatible store in production).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
class Lake:
    """A lake root and the paths of its tables and partitions."""

    root: str
    endpoint_url: str | None = None

    @classmethod
    def at(cls, url: str, endpoint_url: str | None = None) -> Lake:
        return cls(normalize(url), endpoint_url or os.environ.get("AWS_ENDPOINT_URL"))

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
        """Days that hold data in a table (its ``dt`` partitions with data files), sorted."""
        found = set()
        for path in self.files(name):
            for part in path.replace("\\", "/").split("/"):
                if part.startswith("dt=") and len(part) == 13:
                    found.add(dt.date.fromisoformat(part[3:]))
        return sorted(found)

    def files(self, name: str, day: str | dt.date | None = None, suffix: str = ".parquet") -> list[str]:
        """Data files of a table (or of one partition), sorted; staging dirs excluded."""
        base = self.partition(name, day) if day is not None else self.table(name)
        fs = self.fs
        if not fs.exists(base):
            return []
        found = [p for p in fs.find(base) if p.endswith(suffix) and "/_staging" not in p
                 and "/." not in p.replace(base, "")]
        return sorted(("s3://" + p) if self.is_s3 and not p.startswith("s3://") else p for p in found)

    @contextmanager
    def replacing_partition(self, name: str, day: str | dt.date) -> Iterator[str]:
        """Yield a staging directory; on success it atomically replaces the partition.

        Readers never see half a partition: the new files are written aside, then the old
        partition is moved out and the staged one moved in. On local disk both moves are
        renames; on S3 (no rename) the staged objects are copied in and old ones removed,
        which is the best S3 offers. A crash before the swap leaves the old partition intact
        and a staging dir that the next run removes.
        """
        target = self.partition(name, day)
        prefix = f"dt={parse_day(day).isoformat()}-"
        staging_root = join(self.table(name), "_staging")
        staging = join(staging_root, prefix + uuid.uuid4().hex[:8])
        fs = self.fs
        if fs.exists(staging_root):  # leftovers of a killed run of this partition
            for stale in fs.ls(staging_root, detail=False):
                if stale.rstrip("/").rsplit("/", 1)[-1].startswith(prefix):
                    fs.rm(stale, recursive=True)
        fs.makedirs(staging, exist_ok=True)
        try:
            yield staging
            swap_directory(fs, staging, target, is_s3=self.is_s3)
        except BaseException:
            if fs.exists(staging):
                fs.rm(staging, recursive=True)
            raise
        finally:
            self._clean_staging(name)

    def _clean_staging(self, name: str) -> None:
        staging_root = join(self.table(name), "_staging")
        fs = self.fs
        if fs.exists(staging_root) and not fs.ls(staging_root):
            fs.rm(staging_root, recursive=True)

    def write_parquet(self, name: str, day: str | dt.date, table: pa.Table, **kwargs) -> str:
        """Atomically replace a partition with one Parquet file holding ``table``."""
        import pyarrow.parquet as pq

        kwargs.setdefault("compression", "zstd")
        with self.replacing_partition(name, day) as staging:
            with self.fs.open(join(staging, "part-0.parquet"), "wb") as fh:
                pq.write_table(table, fh, **kwargs)
        return self.partition(name, day)

    def write_text(self, url: str, text: str) -> None:
        """Atomically write a small text file (write aside, then rename or single PUT)."""
        write_bytes_atomic(self.fs, url, text.encode(), is_s3=self.is_s3)


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
