"""Benchmark: ``trailwatch ingest`` against a bare DuckDB baseline on the same raw files.

    .venv/bin/python benchmarks/ingest.py [--events 400000,1000000,2000000] [--layouts small,large]
                                          [--day 2025-03-04] [--before /path/to/other/checkout]

Builds (or reuses, under benchmarks/.corpus/) a sample account with ``toolkit.sample`` — realistic
records of ~1-2 KB, many services, both eventVersion families, delivered as AWS does in small
~5-minute files (layout ``small``); layout ``large`` repacks the same records into one file per
account, region and hour (12x fewer, larger files; re-delivered duplicate files left out). For each corpus it runs, each in its own child
process and in the same run: (1) the baseline, ``read_json_objects`` + ``from_json`` with an
explicit structure (free-form fields as VARCHAR) -> zstd Parquet (the ingest's codec, so the
comparison is fair), no day filter, no dedupe, no quarantine, no record text, over exactly the
files the ingest reads; (2) ``trailwatch ingest`` for the day (from this checkout, and with
``--before`` also from another checkout, e.g. the main branch, for a before/after table). Prints
MB/s of raw (decompressed) JSON, events/s, each child's peak RSS (``os.wait4`` rusage), the
speed ratio ingest MB/s / baseline MB/s, the events table's bytes per 1M events and data files,
each step's seconds (the run manifest's ``step_seconds``) and the load average after each child.
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


def repack_hourly(corpus: Path) -> Path:
    """The same records in one file per account, region and hour (layout ``large``), once."""
    import re
    from collections import defaultdict

    target = corpus / "large"
    if (target / "done.json").exists():
        return target / "raw"
    groups = defaultdict(list)
    for path in sorted((corpus / "raw").rglob("*.json.gz")):
        key = path.relative_to(corpus / "raw").as_posix()
        m = re.search(r"/CloudTrail/[^/]+/\d{4}/\d{2}/\d{2}/(\d+)_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{2})\d{2}Z_", key)
        if m:
            groups[(key.rsplit("/", 1)[0], m[1], m[2], m[3])].append(path)
    seen = set()  # a re-delivered file (same bytes) is left out: AWS re-delivers whole files
    for (folder, account, region, hour), paths in groups.items():
        records = []
        for p in paths:
            body = gzip.decompress(p.read_bytes())
            if body not in seen:
                seen.add(body)
                records += json.loads(body)["Records"]
        out = target / "raw" / folder / f"{account}_CloudTrail_{region}_{hour}00Z_{'H' * 16}.json.gz"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode(), 6))
    (target / "done.json").write_text(json.dumps({"files": len(groups)}))
    return target / "raw"


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


def run_child(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stdout of one child process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd or REPO, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {' '.join(cmd)}")
    return seconds, usage.ru_maxrss * 1024, out


def lake_bytes(lake: Path) -> int:
    return sum(p.stat().st_size for p in (lake / "cloudtrail/events").rglob("*.parquet"))


def lake_files(lake: Path) -> int:
    """Data files the events table holds (each costs the Iceberg commit and every reader)."""
    return sum(1 for _ in (lake / "cloudtrail/events").rglob("*.parquet"))


def load() -> str:
    """The 1-minute load average now: other work on the machine slows every child alike."""
    return f"load {os.getloadavg()[0]:.2f}"


def run_ingest(repo: Path, raw: Path, lake: Path, day: dt.date) -> tuple[float, int, dict, int]:
    env_cmd = ["env", f"PYTHONPATH={repo}", sys.executable, "-m", "toolkit", "ingest", "--raw",
               str(raw), "--lake", str(lake), "--date", str(day)]
    seconds, rss, _ = run_child(env_cmd, cwd=repo)
    manifest = json.loads((lake / f"cloudtrail/_runs/dt={day}.json").read_text())
    manifest["data_files"], manifest["load"] = lake_files(lake), load()
    return seconds, rss, manifest, lake_bytes(lake)


def bench(raw: Path, day: dt.date, label: str, before: Path | None, cache: Path) -> None:
    files = candidate_files(raw, day)
    nbytes = json_bytes(files, cache)
    mb = nbytes / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.json"
        listing.write_text(json.dumps(files))
        base_s, base_rss, base_out = run_child([sys.executable, "-c", BASELINE, str(listing),
                                                f"{tmp}/baseline.parquet"])
        base_load = load()
        base_size = Path(f"{tmp}/baseline.parquet").stat().st_size
        runs = [("ingest", *run_ingest(REPO, raw, Path(tmp) / "lake", day))]
        if before:
            try:
                runs.append(("before", *run_ingest(before, raw, Path(tmp) / "lake-before", day)))
            except SystemExit as exc:  # the older ingest may fail (e.g. out of memory): say so
                runs.append(("before", None, 0, {"failed": str(exc)}, 0))
    records = int(base_out.strip().splitlines()[-1])
    print(f"\n== {label}: {len(files)} files, {mb:,.1f} MB JSON, {records:,} records; "
          f"{os.cpu_count()} cores; all write zstd Parquet")
    print(f"{'':10} {'seconds':>8} {'MB/s':>8} {'records/s':>11} {'peak RSS':>10} {'ratio':>6} "
          f"{'bytes/1M events':>16}")
    print(f"{'baseline':10} {base_s:8.1f} {mb / base_s:8.1f} {records / base_s:11,.0f} "
          f"{base_rss / 1e6:8.0f} MB {1.0:6.2f} {base_size / records * 1e6 / 1e6:13,.1f} MB  {base_load}")
    for name, s, rss, manifest, size in runs:
        if s is None:
            print(f"{name:10} FAILED ({manifest['failed'][:80]})")
            continue
        events = sum(v.get("rows", 0) for v in manifest.get("days_written", {}).values()) \
            or manifest["records_written"]
        print(f"{name:10} {s:8.1f} {mb / s:8.1f} {records / s:11,.0f} {rss / 1e6:8.0f} MB "
              f"{base_s / s:6.2f} {size / max(events, 1) * 1e6 / 1e6:13,.1f} MB  {manifest['load']}")
        print(f"{'':10} {manifest['files_read']} files read, {manifest['data_files']} data files written; "
              f"steps: {manifest.get('step_seconds', {})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="400000,1000000,2000000",
                        help="comma-separated events per day of the corpora")
    parser.add_argument("--layouts", default="small,large", help="small (5-minute files), large (hourly)")
    parser.add_argument("--day", default="2025-03-04")
    parser.add_argument("--before", type=Path, help="another checkout whose ingest to compare")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.day)
    for events in (int(x) for x in args.events.split(",")):
        corpus = build_corpus(events, day)
        for layout in args.layouts.split(","):
            if layout == "large" and not (corpus / "large" / "done.json").exists():
                # in a child: a parent that grew while repacking would inflate every later
                # child's peak RSS (a forked child's maxrss counts the parent's pages)
                subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                                "import ingest; from pathlib import Path; ingest.repack_hourly(Path(sys.argv[2]))",
                                str(HERE), str(corpus)], check=True, cwd=REPO)
            raw = corpus / "raw" if layout == "small" else corpus / "large" / "raw"
            bench(raw, day, f"{events:,} events, {layout} files", args.before,
                  corpus / f"json-bytes-{layout}-{day}.json")
    print("\nratio = baseline seconds / ingest seconds on the same files (>= 1.0: ingest as fast)")


if __name__ == "__main__":
    main()
