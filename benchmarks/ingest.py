"""Benchmark: ``trailwatch ingest`` against a bare DuckDB baseline on the same raw files.

    .venv/bin/python benchmarks/ingest.py [--events 1000000] [--day 2025-03-04]

Builds (or reuses, under benchmarks/.corpus/) a sample account with ``toolkit.sample`` — realistic
records of ~1-2 KB, many services, both eventVersion families — then runs, each in its own child
process: (1) the baseline, ``read_json_objects`` + ``from_json`` with an explicit structure
(free-form fields as VARCHAR) -> zstd Parquet (the ingest's codec, so the comparison is fair),
no day filter, no dedupe, no quarantine, over exactly the files the ingest reads for the day;
(2) ``trailwatch ingest`` for that day. Prints MB/s of raw (decompressed) JSON, events/s, each
child's peak RSS (``os.wait4`` rusage) and the speed ratio ingest MB/s / baseline MB/s.
Wall-clock numbers depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / ".corpus"

BASELINE = r"""
import sys, json, duckdb
files, out = json.load(open(sys.argv[1])), sys.argv[2]
ui = {k: "VARCHAR" for k in ("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy")}
ui["sessionContext"] = {"attributes": {"creationDate": "VARCHAR", "mfaAuthenticated": "VARCHAR"},
                        "sessionIssuer": {k: "VARCHAR" for k in ("type", "principalId", "arn", "accountId", "userName")}}
rec = {k: "VARCHAR" for k in ("eventVersion", "eventTime", "eventSource", "eventName", "awsRegion",
       "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
       "additionalEventData", "serviceEventDetails", "requestID", "eventID", "eventType",
       "recipientAccountId", "eventCategory", "sharedEventID", "vpcEndpointId")}
rec.update(userIdentity=ui, readOnly="BOOLEAN", managementEvent="BOOLEAN",
           tlsDetails={"tlsVersion": "VARCHAR", "cipherSuite": "VARCHAR", "clientProvidedHostHeader": "VARCHAR"},
           resources=[{"ARN": "VARCHAR", "accountId": "VARCHAR", "type": "VARCHAR"}])
structure = json.dumps({"Records": [rec]}).replace("'", "''")
con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
con.execute(f"COPY (SELECT unnest(from_json(json, '{structure}').Records, recursive := true) "
            f"FROM read_json_objects({file_list}, maximum_object_size=268435456)) TO '{out}' "
            f"(FORMAT parquet, COMPRESSION zstd)")
print(con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0])
"""


def build_corpus(events: int, day: dt.date) -> Path:
    """Generate (once) a sample account of one day with ``events`` events."""
    target = CORPUS / f"sample-{events}-{day}"
    if (target / "done.json").exists():
        return target
    from toolkit.sample import generate_account

    t0 = time.time()  # one day: its deliveries spill a few minutes into the next day's folder
    summary = generate_account(target, start=day.isoformat(), days=1, events_per_day=events)
    (target / "done.json").write_text(json.dumps({"seconds": round(time.time() - t0, 1),
                                                   "events": summary["events"]}))
    return target


def candidate_files(raw: Path, day: dt.date) -> list[str]:
    """Exactly the event files the ingest reads for ``day`` (same discovery code)."""
    from toolkit.cloudtrail.discover import find_raw_files
    from toolkit.lake import filesystem

    files = find_raw_files(filesystem(str(raw)), str(raw), day, lookback_days=1)
    return [f.url for f in files if f.kind == "events" and f.size > 0]


def json_bytes(files: list[str], cache: Path) -> int:
    """Decompressed JSON bytes of the files (cached: decompressing costs time)."""
    if cache.exists():
        return json.loads(cache.read_text())["bytes"]
    total = 0
    for f in files:
        with gzip.open(f) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
    cache.write_text(json.dumps({"bytes": total}))
    return total


def run_child(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stdout of one child process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {' '.join(cmd)}")
    return seconds, usage.ru_maxrss * 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events per day in the corpus")
    parser.add_argument("--day", default="2025-03-04")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.day)
    corpus = build_corpus(args.events, day)
    files = candidate_files(corpus / "raw", day)
    nbytes = json_bytes(files, corpus / f"json-bytes-{day}.json")
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.json"
        listing.write_text(json.dumps(files))
        base_s, base_rss, base_out = run_child([sys.executable, "-c", BASELINE, str(listing),
                                                f"{tmp}/baseline.parquet"])
        ing_s, ing_rss, _ = run_child([sys.executable, "-m", "toolkit", "ingest", "--raw",
                                       str(corpus / "raw"), "--lake", f"{tmp}/lake", "--date", str(day)])
        manifest = json.loads(Path(f"{tmp}/lake/cloudtrail/_runs/dt={day}.json").read_text())
    records = int(base_out.strip().splitlines()[-1])
    mb = nbytes / 1e6
    print(f"corpus: {len(files)} files, {mb:,.1f} MB JSON, {records:,} records read "
          f"({manifest['records_written']:,} events on {day}); {os.cpu_count()} cores; "
          f"both write zstd Parquet")
    print(f"{'':10} {'seconds':>8} {'MB/s':>8} {'records/s':>11} {'peak RSS':>10}")
    for name, s, rss in (("baseline", base_s, base_rss), ("ingest", ing_s, ing_rss)):
        print(f"{name:10} {s:8.1f} {mb / s:8.1f} {manifest['records_in'] / s:11,.0f} {rss / 1e6:8.0f} MB")
    print(f"speed ratio (ingest MB/s / baseline MB/s): {base_s / ing_s:.2f}")


if __name__ == "__main__":
    main()
