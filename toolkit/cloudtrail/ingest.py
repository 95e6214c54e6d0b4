"""Ingest raw CloudTrail deliveries into the lake's ``events`` table, reading each file once.

A run for day D lists the delivery folders D-lookback .. D+1 (literally: no name is ever a
pattern), skips the files an earlier run already read (the *file index*, one JSON per delivery
folder beside the run manifests), and streams the others:

1. two reader threads decompress each file and cut it into the exact text of every record
   (``split``), hashing the file (SHA-256, as CloudTrail digests do) on the way; a file with
   the same hash as one read before (a re-delivery) only counts its records as duplicates;
2. records are batched by decompressed bytes (``BATCH_JSON_BYTES``) and DuckDB flattens each
   batch once (``flatten.flatten_sql``) into one scratch Parquet file (rows clustered by
   source, name and principal); at the end each file goes to its records' day (the few that
   span two days are split). A batch DuckDB cannot take (bad JSON, memory) is
   bisected until the bad records are isolated and quarantined: nothing is read twice;
3. every day that received records is merged into its partition in one atomic replacement:
   the existing files are kept as they are, the new ones added, and only the event ids that
   occur more than once are looked at to drop duplicates (the copy from the smallest source
   key wins, then the first in that file). Late records for a day already written land there.

Bad input never stops the run and is never dropped silently: unreadable, truncated or oversized
files, dangling links, files that vanish between listing and reading, and records that are not
events are quarantined with their reason (the file's bytes or the record's text are kept). The
run manifest adds up: ``records_in == records_written + duplicates_dropped +
records_quarantined + records_other_days`` (``records_other_days`` is always 0 now that every
record goes to its own day; it stays so older manifests still check).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import queue
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
from toolkit.cloudtrail.merge import CLUSTER_BY, ROW_GROUP_ROWS, merge_days

log = logging.getLogger(__name__)

# Memory budget (peak RSS <= 600 MB by design): ~150 MB interpreter and libraries + DuckDB's
# MEMORY_LIMIT + per reader one decompressed chunk (split.CHUNK_BYTES) and its leftover + the
# queue (2 pieces per reader) + the batch and its Arrow copy (each <= 2 * BATCH_JSON_BYTES).
MAX_FILE_BYTES = 2 * 1024**3          # raw (compressed) object size above which a file is refused
BATCH_JSON_BYTES = 16 * 1024**2       # decompressed record bytes flattened per DuckDB batch
MEMORY_LIMIT = "192MB"                # DuckDB's share of the run's 600 MB budget (spills beyond)
SCRATCH_PREFIX = "trailwatch-ingest-"
ARROW_CHUNK_ROWS = 4096
READERS = 2                           # reader threads (decompress, hash, split) beside DuckDB


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
    clean_stale_scratch()
    workdir = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
    try:
        con = _connect(workdir, raw_fs, lake, memory_limit, threads)
        scratch = os.path.join(workdir, "days")
        _read_all(con, raw_fs, todo, listing, run, scratch, batch_bytes, progress,
                  {} if rebuild else known)
        t = time.perf_counter()
        _route_scratch(con, scratch, run)
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


# --- reading -------------------------------------------------------------------------------

_DONE = object()


def _produce(raw_fs, files: queue.Queue, out: queue.Queue, stop: threading.Event) -> None:
    """Reader thread: (file, piece) for each stretch of records, then (file, digest, problem).

    Decompression, hashing and the numpy scan release the GIL, so readers overlap DuckDB."""
    try:
        while not stop.is_set():
            try:
                f = files.get_nowait()
            except queue.Empty:
                break
            digest, problem = split.Digest(), None
            try:
                with raw_fs.open(f.url, "rb") as fh:
                    for piece in split.split_stream(fh, digest, chunk_bytes=split.CHUNK_BYTES):
                        piece.pack()  # here, on the reader's core, not the main thread's
                        out.put(("piece", f, piece))
            except split.SplitError as exc:
                problem = exc.reason
            except FileNotFoundError:
                problem = "vanished between listing and reading"
            except OSError as exc:
                problem = f"unreadable: {exc}"
            out.put(("done", f, digest, problem))
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises
        out.put(("error", exc))
    finally:
        out.put(_DONE)


class Batch:
    """Records waiting to be flattened: texts plus their file, index and digest status."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, split.Piece, bool | None]] = []
        self.nbytes = 0

    def add(self, key: str, piece: split.Piece, listed: bool | None) -> None:
        self.parts.append((key, piece, listed))
        self.nbytes += int((piece.ends - piece.starts).sum())

    def __bool__(self) -> bool:
        return bool(self.parts)

    def table(self):
        """An Arrow table (source_file, record_index, source_listed, r) built from the pieces'
        buffers with numpy: no Python object per record. ``r`` is binary (UTF-8 checked later)."""
        import numpy as np
        import pyarrow as pa

        keys = list(dict.fromkeys(k for k, _, _ in self.parts))
        packed = [p.pack() for _, p, _ in self.parts]
        lengths = np.concatenate([n for _, n in packed]) if packed else np.zeros(0, np.int64)
        offsets = np.zeros(lengths.size + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.concatenate([d for d, _ in packed]) if packed else np.zeros(0, np.uint8)
        r = pa.LargeBinaryArray.from_buffers(pa.large_binary(), lengths.size,
                                             [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        sizes = [len(p) for _, p, _ in self.parts]
        file_no = np.repeat(np.array([keys.index(k) for k, _, _ in self.parts], np.int32), sizes)
        first = np.repeat(np.array([p.first for _, p, _ in self.parts], np.int64), sizes)
        starts = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes) if sizes else np.zeros(0, np.int64)
        listed = pa.array([v for _, p, v in self.parts for v in [v] * len(p)], pa.bool_()) \
            if any(v is not None for _, _, v in self.parts) else pa.nulls(lengths.size, pa.bool_())
        table = pa.table({
            "source_file": pa.DictionaryArray.from_arrays(pa.array(file_no), pa.array(keys, pa.string())),
            "record_index": pa.array(first + np.arange(lengths.size) - starts),
            "source_listed": listed,
            "r": r,
        })
        # several record batches: DuckDB scans (and so parses) one Arrow batch per thread
        return pa.Table.from_batches(table.to_batches(max_chunksize=ARROW_CHUNK_ROWS))


def _read_all(con, raw_fs, files, listing, run: Run, scratch: str, batch_bytes: int,
              progress, known: dict) -> None:
    q: queue.Queue = queue.Queue(maxsize=2 * READERS)
    todo: queue.Queue = queue.Queue()
    for f in files:
        todo.put(f)
    stop = threading.Event()
    readers = [threading.Thread(target=_produce, args=(raw_fs, todo, q, stop), daemon=True)
               for _ in range(READERS)]
    for reader in readers:
        reader.start()
    total, done, running = sum(f.size for f in files), 0, READERS
    batch, provisional, holding = Batch(), {}, {}
    seen = {e["sha256"]: k for k, e in sorted(known.items(), reverse=True) if e.get("sha256")}
    t = time.perf_counter()
    try:
        while running:
            msg = q.get()
            t = run.timed("wait_for_reader", t)
            if msg is _DONE:
                running -= 1
                continue
            if msg[0] == "error":
                raise msg[1]
            if msg[0] == "piece":
                _, f, piece = msg
                listed = listing.status(f.key, None)[0]
                provisional[f.key] = listed
                held = holding.setdefault(f.key, [])
                held.append((f.key, piece, listed))  # until the file's hash is known
                if sum(int((p.ends - p.starts).sum()) for _, p, _ in held) >= batch_bytes:
                    for part in held:  # a long file: flush before it ends
                        batch.add(*part)
                    held.clear()
                    _flush(con, batch, run, scratch)
                    batch = Batch()
                t = run.timed("batch_and_flatten", t)
                continue
            _, f, digest, problem = msg
            held = holding.pop(f.key, [])
            copy_of = seen.get(digest.sha256) if not problem and digest.sha256 else None
            if copy_of is not None and copy_of < f.key and held and held[0][1].first == 0:
                _duplicate_file(f, digest, copy_of, listing, run)  # a re-delivery: same bytes
            else:
                for part in held:
                    batch.add(*part)
                _file_done(f, digest, problem, listing, run, provisional.get(f.key))
                if digest.sha256 and not problem:
                    seen.setdefault(digest.sha256, f.key)
            done += f.size
            if batch.nbytes >= batch_bytes:
                _flush(con, batch, run, scratch)
                batch = Batch()
            if progress:
                progress(done, total)
            t = run.timed("batch_and_flatten", t)
        if batch:
            _flush(con, batch, run, scratch)
        run.timed("batch_and_flatten", t)
    finally:
        stop.set()
        while any(r.is_alive() for r in readers):  # unblock readers waiting on a full queue
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        for reader in readers:
            reader.join()


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


def _file_done(f: RawFile, digest: split.Digest, problem, listing, run: Run, provisional) -> None:
    """Count a finished file, flag it if no digest lists it, enter it in the file index."""
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
        return
    entry.update(size=f.size, records=digest.records, run=run.day.isoformat())
    run.counts["files_read"] += 1
    run.counts["bytes_raw"] += f.size
    listed, why = listing.status(f.key, digest.sha256)
    entry.update(sha256=digest.sha256, listed=listed, digest=listing.digest_of(f.key))
    if listed is False:
        run.counts["files_not_in_digest"] += 1
        run.not_in_digest.append({"source_file": f.key, "reason": why})
        run.warnings.append(f"{f.key}: not in any digest: {why}")
    if digest.records and listed != provisional:
        entry["relisted"] = listed  # rows already flushed carry the provisional flag


# --- flattening a batch --------------------------------------------------------------------

def _connect(workdir: str, raw_fs, lake: lakes.Lake, memory_limit: str, threads: int | None):
    con = flatten.connect(threads=threads, memory_limit=memory_limit, temp_dir=f"{workdir}/spill")
    if lake.is_s3:
        con.register_filesystem(lake.fs)
    return con


def _data_errors() -> tuple[type[Exception], ...]:
    """DuckDB errors caused by the records (bad JSON, too big for memory): bisect them out."""
    import duckdb

    return (duckdb.InvalidInputException, duckdb.ConversionException,
            duckdb.OutOfMemoryException)


def _flush(con, batch: Batch, run: Run, scratch: str) -> None:
    _load_or_bisect(con, batch.table(), run, scratch)


def _load_or_bisect(con, table, run: Run, scratch: str) -> None:
    """Flatten ``table`` into scratch; on a data error split it in halves until the bad
    records are single and quarantined (log2(n) extra passes over the bad batch only)."""
    try:
        _load(con, table, run, scratch)
    except _data_errors() as exc:
        if table.num_rows == 1:
            row = table.to_pylist()[0]
            reason = f"record cannot be parsed: {str(exc).splitlines()[0][:200]}"
            run.quarantined.append(Quarantined(row["source_file"], reason, record_index=row["record_index"],
                                               record=row["r"].decode("utf-8", "replace")))
            run.counts["records_quarantined"] += 1
            return
        half = table.num_rows // 2
        _load_or_bisect(con, table.slice(0, half), run, scratch)
        _load_or_bisect(con, table.slice(half), run, scratch)


def _load(con, table, run: Run, scratch: str) -> None:
    """One batch: flatten once and write its events to one scratch file (sorted into clusters);
    only when fewer rows were written than came in, look for the records that are not events
    (a second parse of this batch)."""
    source = ("(SELECT source_file, record_index, source_listed, decode(r) AS r FROM batch_in)")
    cols = ", ".join(flatten.EVENT_COLUMNS)
    run.counts["batches"] = n = run.counts.get("batches", 0) + 1
    con.register("batch_in", table)
    try:
        os.makedirs(os.path.join(scratch, "batches"), exist_ok=True)
        target = os.path.join(scratch, "batches", f"{run.run_id}-{n:05d}.parquet")
        written = con.execute(f"""COPY (SELECT {cols} FROM ({flatten.flatten_sql(source)})
            WHERE bad_reason IS NULL ORDER BY {CLUSTER_BY}) TO {flatten.sql_literal(target)}
            (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})""").fetchone()[0]
        bad = [] if written == table.num_rows else con.execute(
            f"SELECT source_file, record_index, bad_reason, record FROM ({flatten.flatten_sql(source)}) "
            "WHERE bad_reason IS NOT NULL").fetchall()
    finally:
        con.unregister("batch_in")
    for key, index, reason, record in bad:
        run.quarantined.append(Quarantined(key, reason, record_index=index, record=record))
    run.counts["records_quarantined"] += len(bad)


def _route_scratch(con, scratch: str, run: Run) -> None:
    """Put each batch file under its day (``scratch/dt=D/``) and count records per file and day.

    Batches are written unpartitioned (a partitioned write costs ~30% more per batch); most hold
    one day and are just moved. The few that span days (midnight, late records) are split.
    """
    folder = os.path.join(scratch, "batches")
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder)) if os.path.isdir(folder) else []
    if not files:
        return
    rows = con.execute("SELECT filename, source_file, strftime(event_time, '%Y-%m-%d'), count(*) "
                       "FROM read_parquet(?, filename = true) GROUP BY ALL", [files]).fetchall()
    days_of: dict[str, set] = {}
    for filename, key, day, count in rows:
        days_of.setdefault(filename, set()).add(day)
        days = run.index.setdefault(key, {}).setdefault("days", {})
        days[day] = days.get(day, 0) + count
        run.days.setdefault(day, {"new": 0})["new"] += count
    cols = ", ".join(flatten.EVENT_COLUMNS)
    for filename, days in days_of.items():
        for day in days:
            os.makedirs(os.path.join(scratch, f"dt={day}"), exist_ok=True)
        name = os.path.basename(filename)
        if len(days) == 1:
            os.replace(filename, os.path.join(scratch, f"dt={next(iter(days))}", name))
            continue
        for day in sorted(days):
            target = os.path.join(scratch, f"dt={day}", f"{day}-{name}")
            con.execute(f"""COPY (SELECT {cols} FROM read_parquet({flatten.sql_literal(filename)})
                WHERE strftime(event_time, '%Y-%m-%d') = ? ORDER BY {CLUSTER_BY})
                TO {flatten.sql_literal(target)} (FORMAT parquet, COMPRESSION zstd,
                ROW_GROUP_SIZE {ROW_GROUP_ROWS})""", [day])
        os.remove(filename)


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
