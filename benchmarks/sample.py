"""Benchmark ``trailwatch sample``: events/s of the generator against a naive writer baseline.

Baseline (same run, same records): re-serialize every delivered log file's records with plain
``json.dumps`` and ``gzip.compress`` and write them — i.e. only the output half of the work,
done the obvious way. The generator also invents the records, signs digests and writes
CloudWatch files. Prints events/s for both, the ratio (generator / baseline) and peak RSS.

    .venv/bin/python benchmarks/sample.py [--events-per-day 200000] [--days 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def run_generator(out: Path, days: int, events_per_day: int) -> tuple[dict, float]:
    from toolkit.sample import generate_account

    started = time.perf_counter()
    summary = generate_account(out, days=days, events_per_day=events_per_day, seed=7)
    return summary, time.perf_counter() - started


def run_baseline(raw: Path, dest: Path) -> tuple[int, float]:
    """Plain json.dumps + gzip of the generator's own records (loading them is not timed)."""
    files = sorted(raw.glob("AWSLogs/**/CloudTrail/**/*.json.gz"))
    batches = [json.loads(gzip.decompress(p.read_bytes()))["Records"] for p in files]
    dest.mkdir(parents=True, exist_ok=True)
    events = sum(len(b) for b in batches)
    started = time.perf_counter()
    for n, records in enumerate(batches):
        packed = gzip.compress(json.dumps({"Records": records}).encode())
        (dest / f"{n:07d}.json.gz").write_bytes(packed)
    return events, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--out", default=None, help="work directory (default: a temp dir, removed)")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench-sample-"))
    try:
        summary, gen_seconds = run_generator(work / "sample", args.days, args.events_per_day)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base_events, base_seconds = run_baseline(Path(summary["raw"]), work / "baseline")
        gen_eps = summary["events"] / gen_seconds
        base_eps = base_events / base_seconds
        print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}")
        print(f"generator: {summary['events']:,} events, {summary['log_files']:,} log files, "
              f"{summary['digest_files']:,} digests, {summary['bytes_gzip'] / 1e6:.1f} MB gzip "
              f"in {gen_seconds:.2f} s = {gen_eps:,.0f} events/s (peak RSS {peak_mb:.0f} MB)")
        print(f"baseline (json.dumps + gzip of the same records): {base_events:,} events "
              f"in {base_seconds:.2f} s = {base_eps:,.0f} events/s")
        print(f"ratio generator/baseline: {gen_eps / base_eps:.2f}")
        print(f"target 50,000 events/s: {'met' if gen_eps >= 50_000 else 'NOT met'}")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
