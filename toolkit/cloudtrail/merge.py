"""Merge a run's new events into their days' partitions, dropping only the copies that repeat.

Each day is one ``Lake.replacing_partition``: the existing data files are carried over as they
are, the run's new files (already flattened, one per batch) are added, and only the event ids
occurring more than once are ranked — the copy from the smallest source key wins, then the
first in that file. A data file holding a losing copy is rewritten without it; no other file is
read again.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

from toolkit import lake as lakes
from toolkit.cloudtrail import flatten
from toolkit.errors import UsageError

ROW_GROUP_ROWS = 8192  # bounds what DuckDB buffers per batch (~35 MB); row groups of ~1 MB
# zstd level 1: ~10% less CPU per batch than the default level 3, files ~2% larger
PARQUET_OPTIONS = f"COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
# Inside a data file (one batch: a narrow window of delivery time, so row-group statistics on
# event_time stay tight), similar records sit together: the record text compresses ~20% better.
CLUSTER_BY = "event_source, event_name, principal_arn, event_time"


def merge_days(con, lake: lakes.Lake, scratch: str, run, replace_day: dt.date | None) -> None:
    """Merge each day's new scratch files into its partition (one atomic replacement per day);
    ``replace_day`` is replaced by its new files instead (a rebuild)."""
    relisted = {k: e["relisted"] for k, e in run.index.items() if "relisted" in e}
    for day in sorted(run.days):
        new = sorted(os.path.join(scratch, f"dt={day}", n) for n in os.listdir(os.path.join(scratch, f"dt={day}")))
        replace = replace_day is not None and day == replace_day.isoformat()
        existing = [] if replace else [_plain(u) for u in lake.files("events", day)]
        _check_current_format(lake, existing, day)
        before = _count_rows(con, existing)
        losers = _duplicate_copies(con, existing + new)
        with lake.replacing_partition("events", day) as staging:
            for src in existing + new:
                drop = losers.get(src, [])
                _place(con, lake, src, staging, drop, relisted if src in new else {}, moved=src in new)
        after = before + run.days[day]["new"] - sum(len(v) for v in losers.values())
        run.days[day].update(rows_before=before, rows=after, added=after - before,
                             duplicates=sum(len(v) for v in losers.values()))
        run.counts["records_written"] += after - before
        run.counts["duplicates_dropped"] += run.days[day]["new"] - (after - before)
    if replace_day is not None and replace_day.isoformat() not in run.days:
        lake.drop_day("events", replace_day)  # the rebuilt day holds no events now


def _plain(url: str) -> str:
    """A data file URL as DuckDB and shutil take it (``file://`` dropped)."""
    return url[len("file://"):] if url.startswith("file://") else url


def _check_current_format(lake: lakes.Lake, files: list[str], day: str) -> None:
    """A partition written before events kept the record text cannot take a merge."""
    import pyarrow.parquet as pq

    if not files:
        return
    with lake.fs.open(files[0], "rb") as fh:
        names = pq.read_schema(fh).names
    if "record" not in names:
        raise UsageError(f"events partition dt={day} was written by an older trailwatch (no record "
                         f"column): rebuild it first with `trailwatch ingest --date {day} --rebuild`")


def _count_rows(con, files: list[str]) -> int:
    if not files:
        return 0
    return int(con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0])


def _duplicate_copies(con, files: list[str]) -> dict[str, list[tuple[str, int]]]:
    """(source_file, record_index) of every copy that loses, by data file: only the event ids
    that occur more than once are ranked (one narrow pass over the ids)."""
    if not files:
        return {}
    rows = con.execute("""
        WITH ids AS (SELECT event_id, source_file, record_index, filename
                     FROM read_parquet(?, filename = true)),
             dup AS (SELECT event_id FROM ids GROUP BY event_id HAVING count(*) > 1)
        SELECT filename, source_file, record_index FROM (
            SELECT *, row_number() OVER (PARTITION BY event_id
                                         ORDER BY source_file, record_index, filename) AS copy_n
            FROM ids WHERE event_id IN (SELECT event_id FROM dup))
        WHERE copy_n > 1""", [files]).fetchall()
    out: dict[str, list[tuple[str, int]]] = {}
    for filename, key, index in rows:
        out.setdefault(filename, []).append((key, index))
    return out


def _place(con, lake: lakes.Lake, src: str, staging: str, drop, relisted: dict, moved: bool) -> None:
    """Put one data file into the staging folder: as is, or rewritten without losing copies."""
    name = os.path.basename(src.rstrip("/"))
    target = lakes.join(staging, name)
    if drop or relisted:
        rewrite_aside(con, src, target, drop, relisted)
        return
    if staging.startswith("s3://"):
        (lake.fs.put_file if moved else lake.fs.copy)(src, target)
    elif moved:
        shutil.move(src, target)
    else:
        lake.fs.get_file(src, target) if src.startswith("s3://") else shutil.copyfile(src, target)


def rewrite_aside(con, src: str, target: str, drop, relisted: dict) -> None:
    """Copy a data file without the rows ``drop`` ((source_file, record_index) pairs) and with
    ``source_listed`` corrected for the files in ``relisted``."""
    import pyarrow as pa

    cols = [c if c != "source_listed" else
            "CASE WHEN source_file IN (SELECT k FROM relisted_in) THEN "
            "(SELECT v FROM relisted_in WHERE k = source_file) ELSE source_listed END AS source_listed"
            for c in flatten.EVENT_COLUMNS]
    con.register("drop_in", pa.table({"k": [k for k, _ in drop], "i": pa.array([i for _, i in drop], pa.int64())}))
    con.register("relisted_in", pa.table({"k": list(relisted), "v": pa.array(list(relisted.values()), pa.bool_())}))
    try:
        con.execute(f"""COPY (SELECT {', '.join(cols)} FROM read_parquet({flatten.sql_literal(src)})
            WHERE (source_file, record_index) NOT IN (SELECT (k, i) FROM drop_in)
            ORDER BY {CLUSTER_BY}) TO {flatten.sql_literal(target)}
            (FORMAT parquet, {PARQUET_OPTIONS})""")
    finally:
        con.unregister("drop_in")
        con.unregister("relisted_in")
