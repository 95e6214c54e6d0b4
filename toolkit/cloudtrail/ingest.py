"""Ingest raw CloudTrail deliveries into the lake's ``events`` table, reading each file once.

A run for day D lists the delivery folders D-lookback .. D+1 (literally: no name is ever a
pattern), skips the files an earlier run already read (the *file index*, one JSON per delivery
folder beside the run manifests), and streams the others:

1. two workers (threads) each take the next file in delivery order, stream it through
   ``split.read_records`` (ISA-L inflate, SHA-256 as CloudTrail digests do, records cut by
   msgspec as exact byte views) and gather its records into their own batch; a file with the
   same hash as one read before (a re-delivery) only counts its records as duplicates;
2. a batch full by decompressed bytes (``BATCH_JSON_BYTES``) is packed once into Arrow (rows
   clustered by their opening bytes: similar records compress better, no sort) and the
   worker's DuckDB cursor (one DuckDB thread each) parses every record once and writes the
   events to one scratch Parquet file in one statement (``flatten.flatten_sql``). Batches of
   one day go to it as they are (the write's statistics say so); the few that span days are
   split by the worker that wrote them. A batch DuckDB cannot take (bad JSON, memory) is
   bisected until the bad records are isolated and quarantined: nothing is read twice. Inflating, hashing, DuckDB and most of the
   cutting release the GIL, so both cores stay busy without hand-offs between threads;
3. every day that received records is merged into its partition in one atomic replacement:
   the existing files are kept as they are, the new ones added, and only the event ids that
   occur more than once are looked at to drop duplicates (the copy from the smallest source
   key wins, then the first in that file). Late records for a day already written land there.
   The Iceberg commit reads each new file's footer once (its libraries are imported on a
   background thread while the workers read).

Bad input never stops the run and is never dropped silently: unreadable, truncated or oversized
files, dangling links, files that vanish between listing and reading, and records that are not
events are quarantined with their reason (the file's bytes or the record's text are kept). The
run manifest adds up: ``records_in == records_written + duplicates_dropped +
records_quarantined + records_other_days`` (``records_other_days`` is always 0 now that every
record goes to its own day; it stays so older manifests still check).
"""

from __future__ import annotations

import datetime as dt
import gc
import gzip
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from toolkit import lake as lakes
from toolkit.cloudtrail import flatten, insights, logfiles, split
from toolkit.cloudtrail.discover import RawFile, delivery_days, list_folders
from toolkit.cloudtrail.fileindex import load_index, save_index
from toolkit.cloudtrail.manifest import check_manifest
from toolkit.cloudtrail.merge import PARQUET_OPTIONS, merge_days
from toolkit.errors import TrailwatchError

log = logging.getLogger(__name__)

# Memory budget (peak RSS <= 600 MB by design, whatever the day's or a file's size):
#   ~135 MB interpreter and libraries (measured after imports)
# + DuckDB's MEMORY_LIMIT, an equal share for each of the WORKERS' DuckDBs (one 20 MB batch
#   each, measured at ~115 MB: the row group being written, merge.ROW_GROUP_ROWS rows, and the
#   writer's buffers); DuckDB spills beyond it. Its blocks come from a block allocator that
#   holds the share once and never returns it (``block_allocator_memory``): near its limit DuckDB
#   flushes the whole process's allocators (jemalloc purge + malloc_trim) and every page reused
#   after a flush faults again, which no longer includes its own blocks (2M events in 5-minute
#   files: 4.5 M page faults instead of 5.6 M, -10% wall time in an interleaved A/B but within
#   noise in a single benchmark run, +15-60 MB RSS). A 160 MB share
#   gained no wall time for ~60 MB more RSS; only a ~450 MB share stops the flushes (-20% wall
#   time) but peaks at 630-690 MB RSS, over the budget. The merge's DuckDB runs after the workers'.
# + per worker, on the Python side: the batch's record views (BATCH_JSON_BYTES of pieces, at
#   most one piece over), the piece being cut and the one read ahead (split.CHUNK_BYTES each)
#   with msgspec's copy of it; then, with the views, the batch packed once in cluster order
#   (BATCH_JSON_BYTES) -> ~36 MB
# = 135 + 240 + 2 * 36 = 447 MB (measured: 531-536 MB peak RSS at 2M events in 5-minute files,
#   where a 160 MB share peaked at 593 MB; the rest is allocator slack between flushes).
MAX_FILE_BYTES = 2 * 1024**3          # raw (compressed) object size above which a file is refused
BATCH_JSON_BYTES = 20 * 1024**2       # decompressed record bytes flattened per DuckDB batch
MEMORY_LIMIT = "240MB"                # DuckDB's share of the run's 600 MB budget (spills beyond)
SCRATCH_PREFIX = "trailwatch-ingest-"
WORKERS = 2                           # threads that each read, split and flatten their own batches
CLUSTER_PREFIX = 160                  # bytes of each record's text its batch is clustered by


@dataclass
class Quarantined:
    key: str
    reason: str
    url: str | None = None        # raw file to copy aside (file-level quarantine)
    record_index: int | None = None
    record: str | None = None     # raw record text (record-level quarantine)

    def as_json(self) -> dict:
        kind = "file" if self.record_index is None else "record"
        out = {"kind": kind, "source_file": self.key, "reason": self.reason}
        if kind == "record":
            out.update(record_index=self.record_index, record=self.record)
        elif self.url is not None:
            out["copy"] = "files/" + self.key
        return out


@dataclass
class Run:
    """Counters and findings of one ingest run."""

    day: dt.date
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    counts: dict = field(default_factory=lambda: dict.fromkeys((
        "files_seen", "files_read", "files_quarantined", "files_already_read", "records_in",
        "records_written", "duplicates_dropped", "records_quarantined", "records_other_days",
        "bytes_raw", "bytes_json", "digest_files_skipped", "insight_files",
        "insight_records_written", "files_not_in_digest", "duplicate_files"), 0))
    quarantined: list[Quarantined] = field(default_factory=list)
    index: dict[str, dict] = field(default_factory=dict)       # key -> file index entry
    not_in_digest: list[dict] = field(default_factory=list)
    days: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)   # time per step (profile)

    def timed(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - since, 3)
        return now

    def quarantine_file(self, f: RawFile, reason: str, keep_copy: bool = True) -> None:
        """Quarantine a whole file; it is indexed as read unless it may come back."""
        log.warning("quarantined %s: %s", f.key, reason)
        self.counts["files_quarantined"] += 1
        self.quarantined.append(Quarantined(f.key, reason, url=f.url if keep_copy else None))
        self.warnings.append(f"{f.key}: {reason}")
        entry = self.index.setdefault(f.key, {"days": {}, "records": 0})
        entry.update(size=f.size, quarantined=reason, run=self.day.isoformat())


def ingest_day(raw: str, lake: str | lakes.Lake, day: str | dt.date, lookback_days: int = 1, *,
               endpoint_url: str | None = None, rebuild: bool = False,
               max_file_bytes: int = MAX_FILE_BYTES, batch_bytes: int = BATCH_JSON_BYTES,
               memory_limit: str = MEMORY_LIMIT, threads: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict:
    """Ingest the new deliveries of ``day``'s folders into ``lake``; return the run manifest.

    Files read by an earlier run are skipped (their records are already in their days);
    ``rebuild=True`` re-reads every file and replaces ``day``'s partition with what they hold.
    Idempotent and atomic per partition. Raises FileNotFoundError if the raw location has no
    readable ``AWSLogs/``.
    """
    started, t = time.time(), time.perf_counter()
    day = lakes.parse_day(day)
    lake = lake if isinstance(lake, lakes.Lake) else lakes.Lake.at(lake, endpoint_url)
    raw_root = lakes.normalize(raw)
    raw_fs = lakes.filesystem(raw_root, endpoint_url or lake.endpoint_url)
    folders = delivery_days(day, lookback_days)
    files = list_folders(raw_fs, raw_root, folders)
    known = load_index(lake, folders)
    run = Run(day)
    run.counts["files_seen"] = len(files)
    listing = _read_digests(raw_fs, [f for f in files if f.kind == "digest"], run)
    todo = _screen(files, known, run, max_file_bytes, rebuild)
    t = run.timed("list", t)
    preloading = lake.preload()  # the commit's imports, while the workers read
    clean_stale_scratch()
    workdir = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    try:
        scratch = os.path.join(workdir, "days")
        placed = _read_all(workdir, memory_limit, raw_fs, todo, listing, run, scratch,
                            batch_bytes, progress, {} if rebuild else known)
        t = time.perf_counter()
        _count_days(run, placed)
        preloading.join()
        con = _connect(workdir, raw_fs, lake, memory_limit, threads)  # after the workers' DuckDBs
        merge_days(con, lake, scratch, run, day if rebuild else None)
        t = run.timed("merge_days", t)
        con.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    insights.ingest_insights(raw_fs, [f for f in files if f.kind == "insights"], lake, day, run)
    _write_quarantine(raw_fs, lake, day, run)
    save_index(lake, run.index)
    run.timed("insights_quarantine_index", t)
    return _write_manifest(lake, raw_root, day, lookback_days, run, started, rebuild)


# --- listing -------------------------------------------------------------------------------

def _read_digests(raw_fs, digests: list[RawFile], run: Run) -> logfiles.Listing:
    """What the digests in the folders list (for flagging files no digest lists)."""
    listing = logfiles.Listing()
    for f in digests:
        run.counts["digest_files_skipped"] += 1
        try:
            with raw_fs.open(f.url, "rb") as fh:
                doc = json.loads(gzip.decompress(fh.read()))
            listing.add(f.key, doc if isinstance(doc, dict) else {})
        except (OSError, EOFError, ValueError) as exc:
            run.warnings.append(f"{f.key}: unreadable digest file ({exc})")
    return listing


def _screen(files: list[RawFile], known: dict, run: Run, max_file_bytes: int,
            rebuild: bool) -> list[RawFile]:
    """Event files to read now, in delivery order; refuse what cannot be read."""
    todo = []
    for f in files:
        if f.kind != "events":
            continue
        before = known.get(f.key)
        if before is not None and not rebuild:
            if before.get("size") == f.size:
                run.counts["files_already_read"] += 1
                continue
            run.warnings.append(f"{f.key}: changed since it was ingested "
                                f"({before.get('size')} -> {f.size} bytes); read again")
        if f.problem:
            run.quarantine_file(f, f.problem, keep_copy=False)
            run.index[f.key].pop("size")  # a link may be repaired: look again next run
        elif f.size == 0:
            run.quarantine_file(f, "zero-byte file")
        elif f.size > max_file_bytes:
            run.quarantine_file(f, f"oversized: {f.size} bytes > limit {max_file_bytes}")
        else:
            todo.append(f)
    # delivery time first (the name's stamp), so batches advance in time across accounts and
    # regions and each batch's sorted rows give tight row-group statistics
    return sorted(todo, key=lambda f: (f.key.rsplit("_", 2)[-2] if f.key.count("_") >= 2 else "", f.key))


# --- reading and flattening ----------------------------------------------------------------

class Batch:
    """Records waiting to be flattened: their texts (views of the decompressed files) and, per
    stretch of a file, its key, first record index, record count and digest status."""

    def __init__(self) -> None:
        self.records: list = []
        self.parts: list[tuple[str, int, int, bool | None]] = []
        self.nbytes = 0

    def add(self, key: str, first: int, records: list, nbytes: int, listed: bool | None) -> None:
        self.records += records
        self.parts.append((key, first, len(records), listed))
        self.nbytes += nbytes

    def __bool__(self) -> bool:
        return bool(self.parts)

    def table(self):
        """An Arrow table (source_file, record_index, source_listed, r): the records' bytes
        copied once, back to back (``r`` is binary; DuckDB checks UTF-8), in an order that
        clusters them by the first CLUSTER_PREFIX bytes of their text; the views (and so the
        decompressed files) are released."""
        import numpy as np
        import pyarrow as pa

        records, self.records = self.records, []
        order = _cluster_order(records)
        lengths = np.fromiter(map(len, records), np.int64, len(records))[order]
        offsets = np.zeros(lengths.size + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = b"".join([records[i] for i in order.tolist()])
        del records
        keys = list(dict.fromkeys(k for k, _, _, _ in self.parts))
        counts = [n for _, _, n, _ in self.parts]
        starts = np.repeat(np.cumsum([0, *counts[:-1]]), counts)
        first = np.repeat(np.array([i for _, i, _, _ in self.parts], np.int64), counts)
        file_of = np.repeat(np.array([keys.index(k) for k, _, _, _ in self.parts], np.int32), counts)
        listed = [v for _, _, _, v in self.parts]
        return pa.table({
            "source_file": pa.DictionaryArray.from_arrays(file_of[order], pa.array(keys, pa.string())),
            "record_index": pa.array((first + np.arange(lengths.size) - starts)[order]),
            "source_listed": pa.array(np.repeat(listed, counts)[order].tolist(), pa.bool_())
            if any(v is not None for v in listed) else pa.nulls(lengths.size, pa.bool_()),
            "r": pa.LargeBinaryArray.from_buffers(pa.large_binary(), lengths.size,
                                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)]),
        })


def _cluster_order(records: list):
    """Row order that puts records with the same opening bytes side by side (in AWS's key
    order: eventVersion, then the userIdentity's type, principal and ARN): similar records in
    a page compress ~20% better, at the cost of sorting short prefixes instead of parsed rows."""
    import numpy as np

    prefixes = np.array([bytes(memoryview(r)[:CLUSTER_PREFIX]) for r in records], f"S{CLUSTER_PREFIX}")
    return np.argsort(prefixes.view(f"V{CLUSTER_PREFIX}"), kind="stable")  # raw bytes: memcmp, 6x faster


class _Reading:
    """What the workers share: the files left, the hashes seen, the run (all under ``lock``)."""

    def __init__(self, raw_fs, files, listing, run: Run, scratch: str, batch_bytes: int,
                 progress, known: dict) -> None:
        self.raw_fs, self.listing, self.run, self.progress = raw_fs, listing, run, progress
        self.scratch, self.batch_bytes = scratch, batch_bytes
        self.lock = threading.Lock()
        self.todo = iter(files)
        self.total, self.done = sum(f.size for f in files), 0
        self.seen = {e["sha256"]: k for k, e in sorted(known.items(), reverse=True) if e.get("sha256")}
        self.file_no = itertools.count(1)
        self.placed: list[tuple[str, dict]] = []  # (day, rows per source file) of each file written
        self.error: BaseException | None = None

    def next_file(self) -> RawFile | None:
        with self.lock:
            return None if self.error is not None else next(self.todo, None)

    def timed(self, step: str, since: float) -> float:
        with self.lock:
            return self.run.timed(step, since)


def _read_all(workdir: str, memory_limit: str, raw_fs, files, listing, run: Run, scratch: str,
              batch_bytes: int, progress, known: dict) -> list[tuple[str, dict]]:
    """Read, split and flatten every file on WORKERS threads, each with its own batches and its
    own DuckDB (one thread, an equal share of ``memory_limit``: two queries in one DuckDB wait
    on each other's scheduler and gain nothing). Inflating, hashing, DuckDB and most of the
    cutting release the GIL, so the cores stay busy without a hand-off between threads."""
    state = _Reading(raw_fs, files, listing, run, scratch, batch_bytes, progress, known)
    share = _share(memory_limit, WORKERS)
    cons = [flatten.connect(threads=1, memory_limit=share, temp_dir=f"{workdir}/spill-{n}")
            for n in range(WORKERS)]
    t, collecting = time.perf_counter(), gc.isenabled()
    try:
        workers = [threading.Thread(target=_work, args=(state, con), daemon=True) for con in cons]
        for con in cons:  # see flatten: one parse per record
            con.execute(f"SET disabled_optimizers = '{_DISABLED_OPTIMIZERS},filter_pushdown'")
            con.execute(f"SET block_allocator_memory = {flatten.sql_literal(share)}")
        gc.disable()  # millions of short-lived, acyclic record objects: refcounts free them
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        if collecting:
            gc.enable()
        for con in cons:
            con.close()
    run.timed("read_and_flatten", t)
    if state.error is not None:
        raise state.error
    return state.placed


def _share(memory_limit: str, parts: int) -> str:
    """``memory_limit`` (e.g. "240MB") split in ``parts`` equal DuckDB limits."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", memory_limit, re.IGNORECASE)
    if m is None:
        raise ValueError(f"memory_limit {memory_limit!r}: expected a size such as '240MB'")
    return f"{float(m[1]) / parts:.0f}{m[2]}"


def _work(state: _Reading, cur) -> None:
    """One worker: files in delivery order, batched by decompressed bytes, flattened by DuckDB."""
    batch = Batch()
    try:
        while (f := state.next_file()) is not None:
            batch = _read_file(state, cur, f, batch)
            if batch.nbytes >= state.batch_bytes:
                _flush(state, cur, batch)
                batch = Batch()
        if batch:
            _flush(state, cur, batch)
    except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
        with state.lock:
            state.error = state.error or exc


def _read_file(state: _Reading, cur, f: RawFile, batch: Batch) -> Batch:
    """Add one file's records to ``batch`` once its hash is known (a re-delivery adds nothing);
    a file that would overfill the batch is flushed as it streams, its rows flagged
    provisionally (corrected at the merge if its digest status turns out different)."""
    t = time.perf_counter()
    digest, problem, held, flushed = split.Digest(), None, [], False
    provisional = state.listing.status(f.key, None)[0]
    try:
        with state.raw_fs.open(f.url, "rb") as fh:
            for first, records, nbytes in split.read_records(
                    fh, digest, chunk_bytes=split.CHUNK_BYTES):
                held.append((first, records, nbytes))
                if batch.nbytes + sum(n for _, _, n in held) >= state.batch_bytes:
                    for part in held:
                        batch.add(f.key, *part, provisional)
                    held, flushed = [], True
                    t = state.timed("read", t)
                    _flush(state, cur, batch)
                    batch, t = Batch(), time.perf_counter()
    except split.SplitError as exc:
        problem = exc.reason
    except FileNotFoundError:
        problem = "vanished between listing and reading"
    except OSError as exc:
        problem = f"unreadable: {exc}"
    with state.lock:
        run = state.run
        copy_of = state.seen.get(digest.sha256) if not problem and digest.sha256 else None
        if copy_of is not None and copy_of < f.key and not flushed:
            _duplicate_file(f, digest, copy_of, state.listing, run)  # a re-delivery: same bytes
        else:
            listed = _file_done(f, digest, problem, state.listing, run, provisional if flushed else None)
            for part in held:
                batch.add(f.key, *part, provisional if flushed else listed)
            if digest.sha256 and not problem:
                state.seen.setdefault(digest.sha256, f.key)
        state.done += f.size
        if state.progress:
            state.progress(state.done, state.total)
        run.timed("read", t)
    return batch


def _duplicate_file(f: RawFile, digest: split.Digest, copy_of: str, listing, run: Run) -> None:
    """A file with the same content as one read before (CloudTrail delivers at least once):
    every record is a duplicate of the copy in ``copy_of``, which has the smaller key and so
    wins the dedupe rule; nothing is flattened."""
    run.counts["records_in"] += digest.records
    run.counts["bytes_json"] += digest.json_bytes
    run.counts["bytes_raw"] += f.size
    run.counts["files_read"] += 1
    run.counts["duplicates_dropped"] += digest.records
    run.counts["duplicate_files"] += 1
    listed, why = listing.status(f.key, digest.sha256)
    run.index[f.key] = {"size": f.size, "records": digest.records, "days": {}, "sha256": digest.sha256,
                        "duplicate_of": copy_of, "listed": listed, "run": run.day.isoformat()}
    if listed is False:
        run.counts["files_not_in_digest"] += 1
        run.not_in_digest.append({"source_file": f.key, "reason": why})
        run.warnings.append(f"{f.key}: not in any digest: {why}")


def _file_done(f: RawFile, digest: split.Digest, problem, listing, run: Run,
               flushed_as: bool | None) -> bool | None:
    """Count a finished file, flag it if no digest lists it, enter it in the file index;
    return its digest status. ``flushed_as``: the provisional status of rows already flushed
    (None when none were), corrected at the merge if it turned out different."""
    run.counts["records_in"] += digest.records
    run.counts["bytes_json"] += digest.json_bytes
    entry = run.index.setdefault(f.key, {})  # "days" may already hold flushed batches' counts
    entry.setdefault("days", {})
    if problem:
        reason = problem if not digest.records else f"{problem} (after {digest.records} records, kept)"
        run.quarantine_file(f, reason, keep_copy="vanished" not in problem)
        entry["records"] = digest.records
        if "vanished" in problem:
            entry.pop("size")  # not indexed: read it if it comes back
        return listing.status(f.key, None)[0]
    entry.update(size=f.size, records=digest.records, run=run.day.isoformat())
    run.counts["files_read"] += 1
    run.counts["bytes_raw"] += f.size
    listed, why = listing.status(f.key, digest.sha256)
    entry.update(sha256=digest.sha256, listed=listed, digest=listing.digest_of(f.key))
    if listed is False:
        run.counts["files_not_in_digest"] += 1
        run.not_in_digest.append({"source_file": f.key, "reason": why})
        run.warnings.append(f"{f.key}: not in any digest: {why}")
    if digest.records and flushed_as is not None and listed != flushed_as:
        entry["relisted"] = listed  # rows already flushed carry the provisional flag
    return listed


# DuckDB writes a column it knows holds no NULL (a rewrite of a Parquet file whose statistics
# say so) as REQUIRED; every events file must keep the table's nullable columns.
_DISABLED_OPTIMIZERS = "statistics_propagation"


def _connect(workdir: str, raw_fs, lake: lakes.Lake, memory_limit: str, threads: int | None):
    con = flatten.connect(threads=threads, memory_limit=memory_limit, temp_dir=f"{workdir}/spill")
    con.execute(f"SET disabled_optimizers = '{_DISABLED_OPTIMIZERS}'")
    if lake.is_s3:
        con.register_filesystem(lake.fs)
    return con


def _data_errors() -> tuple[type[Exception], ...]:
    """DuckDB errors caused by the records (bad JSON, too big for memory): bisect them out."""
    import duckdb

    return (duckdb.InvalidInputException, duckdb.ConversionException,
            duckdb.OutOfMemoryException)


def _flush(state: _Reading, cur, batch: Batch) -> None:
    t = time.perf_counter()
    quarantined: list[Quarantined] = []
    _load_or_bisect(state, cur, batch.table(), quarantined)
    with state.lock:
        state.run.quarantined += quarantined
        state.run.counts["records_quarantined"] += len(quarantined)
        state.run.timed("flatten", t)


def _load_or_bisect(state: _Reading, cur, table, quarantined: list) -> None:
    """Flatten ``table`` into scratch; on a data error split it in halves until the bad
    records are single and quarantined (log2(n) extra passes over the bad batch only)."""
    try:
        _load(state, cur, table, quarantined)
    except _data_errors() as exc:
        import duckdb

        if table.num_rows == 1 and isinstance(exc, duckdb.OutOfMemoryException):
            # One record (CloudTrail caps events far below the limit) cannot exhaust the budget:
            # the machine is short of memory, the record is not bad. Fail the run; lose nothing.
            raise TrailwatchError(
                f"DuckDB ran out of memory on a single {len(table.column('r')[0].as_py())}-byte "
                f"record of {table.column('source_file')[0].as_py()}: the host is short of memory "
                f"(nothing was written; rerun when memory is free): {str(exc).splitlines()[0][:200]}"
            ) from exc
        if table.num_rows == 1:
            row = table.to_pylist()[0]
            reason = f"record cannot be parsed: {str(exc).splitlines()[0][:200]}"
            quarantined.append(Quarantined(row["source_file"], reason, record_index=row["record_index"],
                                           record=row["r"].decode("utf-8", "replace")))
            return
        half = table.num_rows // 2
        _load_or_bisect(state, cur, table.slice(0, half), quarantined)
        _load_or_bisect(state, cur, table.slice(half), quarantined)


def _load(state: _Reading, cur, table, quarantined: list) -> None:
    """One batch: parse once and write its events to one scratch file in arrival order (files
    in delivery order, records in file order: near time order, so row-group statistics on
    event_time stay tight without a sort); only when fewer rows were written than came in,
    look for the records that are not events (a second parse of this batch)."""
    source = "(SELECT source_file, record_index, source_listed, decode(r) AS r FROM batch_in)"
    cols = ", ".join(flatten.EVENT_COLUMNS)
    os.makedirs(state.scratch, exist_ok=True)
    target = os.path.join(state.scratch, f"{state.run.run_id}-{next(state.file_no):05d}.parquet")
    cur.register("batch_in", table)
    try:
        _, written, _, _, stats, *_ = cur.execute(f"""COPY (SELECT {cols} FROM ({flatten.flatten_sql(source)})
            WHERE bad_reason IS NULL) TO {flatten.sql_literal(target)}
            (FORMAT parquet, {PARQUET_OPTIONS}, RETURN_STATS)""").fetchone()
        bad = [] if written == table.num_rows else cur.execute(
            f"SELECT source_file, record_index, bad_reason, record FROM ({flatten.flatten_sql(source)}) "
            "WHERE bad_reason IS NOT NULL").fetchall()
    finally:
        cur.unregister("batch_in")
    quarantined += [Quarantined(key, reason, record_index=index, record=record)
                    for key, index, reason, record in bad]
    placed = _place_by_day(cur, state.scratch, target, written, stats, table, bad)
    with state.lock:
        state.placed += placed


def _place_by_day(cur, scratch: str, target: str, written: int, stats, table, bad) -> list[tuple[str, dict]]:
    """Move a batch's scratch file under its day (``scratch/dt=D/``); return (day, rows per
    source file) for each day it holds.

    Batches are written unpartitioned (a partitioned write costs ~30% more per batch); most hold
    one day (the write's statistics say so, and the batch says how many rows each source file
    gave) and are just moved. The few that span days (midnight, late records) are read back and
    split by the worker that wrote them, while the other worker keeps reading.
    """
    name = os.path.basename(target)
    if not written:
        os.remove(target)
        return []
    times = (stats or {}).get('"event_time"') or {}
    day = times.get("min", "")[:10]
    if day and times.get("max", "")[:10] == day:
        counts = _rows_per_source(table)
        for key, _, _, _ in bad:
            counts[key] -= 1
        os.makedirs(os.path.join(scratch, f"dt={day}"), exist_ok=True)
        os.replace(target, os.path.join(scratch, f"dt={day}", name))
        return [(day, {k: n for k, n in counts.items() if n})]
    by_day: dict[str, dict[str, int]] = {}
    for day, key, n in cur.execute("SELECT strftime(event_time, '%Y-%m-%d'), source_file, count(*) "
                                   "FROM read_parquet(?) GROUP BY ALL", [target]).fetchall():
        by_day.setdefault(day, {})[key] = n
    cols = ", ".join(flatten.EVENT_COLUMNS)
    for day in sorted(by_day):
        os.makedirs(os.path.join(scratch, f"dt={day}"), exist_ok=True)
        cur.execute(f"""COPY (SELECT {cols} FROM read_parquet({flatten.sql_literal(target)})
            WHERE strftime(event_time, '%Y-%m-%d') = ?)
            TO {flatten.sql_literal(os.path.join(scratch, f"dt={day}", f"{day}-{name}"))}
            (FORMAT parquet, {PARQUET_OPTIONS})""", [day])
    os.remove(target)
    return sorted(by_day.items())


def _rows_per_source(table) -> dict[str, int]:
    import numpy as np

    files = table.column("source_file").combine_chunks()
    found = np.bincount(files.indices.to_numpy(), minlength=len(files.dictionary))
    return dict(zip(files.dictionary.to_pylist(), found.tolist(), strict=True))


def _count_days(run: Run, placed: list[tuple[str, dict]]) -> None:
    """Records per file and day (the file index) and new records per day (the merge's input)."""
    for day, counts in placed:
        for key, count in counts.items():
            days = run.index.setdefault(key, {}).setdefault("days", {})
            days[day] = days.get(day, 0) + count
            run.days.setdefault(day, {"new": 0})["new"] += count


# --- quarantine, manifest, scratch ----------------------------------------------------------

def clean_stale_scratch(tmp: str | None = None, max_age_days: float = 1.0) -> list[str]:
    """Remove scratch folders of ingest runs that were killed: named with a process id that is
    gone, or (folders of older versions, without a pid) untouched for ``max_age_days``."""
    tmp = tmp or tempfile.gettempdir()
    removed = []
    for name in os.listdir(tmp):
        if not name.startswith(SCRATCH_PREFIX):
            continue
        pid = name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        path = os.path.join(tmp, name)
        if not pid.isdigit() and time.time() - os.path.getmtime(path) < max_age_days * 86400:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    if removed:
        log.info("removed %d scratch folder(s) of killed ingest runs", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_quarantine(raw_fs, lake: lakes.Lake, day: dt.date, run: Run) -> None:
    """Replace the run day's quarantine partition: earlier entries of files not read again
    now, plus this run's (reasons as NDJSON and the bad files' raw bytes)."""
    old_dir = lake.partition("quarantine", day)
    old_url = lakes.join(old_dir, "quarantine.ndjson")
    reread = set(run.index) | {q.key for q in run.quarantined}
    kept = []
    if lake.fs.exists(old_url):
        kept = [x for x in map(json.loads, lake.fs.cat_file(old_url).decode().splitlines())
                if x["source_file"] not in reread]
    if not kept and not run.quarantined and not lake.fs.exists(old_url):
        return
    with lake.replacing_partition("quarantine", day) as staging:
        lines = kept + [q.as_json() for q in run.quarantined]
        with lake.fs.open(lakes.join(staging, "quarantine.ndjson"), "w") as fh:
            fh.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
        for x in kept:
            if x.get("copy"):
                _copy(lake.fs, lakes.join(old_dir, x["copy"]), lake.fs, lakes.join(staging, x["copy"]))
        for q in run.quarantined:
            if q.url is not None:
                try:
                    _copy(raw_fs, q.url, lake.fs, lakes.join(staging, "files", q.key))
                except FileNotFoundError:
                    pass  # gone since it was read; its reason says what it was


def _copy(src_fs, src: str, dst_fs, dst: str) -> None:
    dst_fs.makedirs(dst.rsplit("/", 1)[0], exist_ok=True)
    with src_fs.open(src, "rb") as a, dst_fs.open(dst, "wb") as b:
        shutil.copyfileobj(a, b, 1024 * 1024)


def manifest_url(lake: lakes.Lake, day: dt.date) -> str:
    return lakes.join(lake.table("ingest_runs"), f"dt={day.isoformat()}.json")


def _write_manifest(lake, raw_root, day, lookback_days, run: Run, started: float, rebuild: bool) -> dict:
    files_q = [q.as_json() for q in run.quarantined if q.record_index is None]
    counts = {k: v for k, v in run.counts.items() if k != "batches"}
    manifest = {
        "day": day.isoformat(), "raw": raw_root, "lake": lake.root, "lookback_days": lookback_days,
        "rebuild": rebuild, **counts,
        "partition": lake.partition("events", day),
        # the Iceberg snapshot holding this day's rows after the run (this run's commit, or the
        # current one when the run had nothing new to commit)
        "snapshot_id": lake.snapshot_id("events"),
        "days_written": {d: run.days[d] for d in sorted(run.days)},
        # the file-level index of this run: records per day of every file it read
        "file_days": {k: e.get("days", {}) for k, e in sorted(run.index.items()) if "size" in e},
        "quarantine": lake.partition("quarantine", day),
        "quarantined_files": files_q,
        "files_not_in_digest_list": run.not_in_digest,
        "warnings": run.warnings,
        "step_seconds": run.seconds,
        "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 3),
    }
    check_manifest(manifest)
    lake.write_text(manifest_url(lake, day), json.dumps(manifest, indent=2) + "\n")
    return manifest
