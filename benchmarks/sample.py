"""Benchmark ``trailwatch sample``: events/s of the generator against baselines in the same run.

- generator: ``generate_account`` as users call it (work units on all cores);
- single process: the same generator with ``workers=1`` (same bytes, one core);
- naive writer: re-serialize every delivered log file's records with plain ``json.dumps`` and
  ``gzip.compress`` and write them — only the output half of the work, done the obvious way
  (loading the records is not timed).

Prints events/s (wall clock) and events per CPU-second (parent + workers, steadier than wall
clock when other processes load the machine), the ratios, the load average and peak RSS.

    .venv/bin/python benchmarks/sample.py [--events-per-day 200000] [--days 1] [--no-single]
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


def _cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_generator(out: Path, days: int, events_per_day: int, workers: int | None) -> dict:
    from toolkit.sample.generator import generate

    wall, cpu = time.perf_counter(), _cpu_seconds()
    summary = generate(out, days=days, events_per_day=events_per_day, seed=7, workers=workers)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    return dict(summary, wall=wall, cpu=cpu, eps=summary["events"] / wall, eps_cpu=summary["events"] / cpu)


def run_baseline(raw: Path, dest: Path) -> dict:
    """Plain json.dumps + gzip of the generator's own records (loading them is not timed)."""
    files = sorted(raw.glob("AWSLogs/**/CloudTrail/**/*.json.gz"))
    batches = [json.loads(gzip.decompress(p.read_bytes()))["Records"] for p in files]
    dest.mkdir(parents=True, exist_ok=True)
    events = sum(len(b) for b in batches)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    for n, records in enumerate(batches):
        packed = gzip.compress(json.dumps({"Records": records}).encode())
        (dest / f"{n:07d}.json.gz").write_bytes(packed)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    return {"events": events, "wall": wall, "eps": events / wall, "eps_cpu": events / cpu}


def _line(name: str, r: dict) -> str:
    return (f"{name}: {r['events']:,} events in {r['wall']:.2f} s = {r['eps']:,.0f} events/s "
            f"({r['eps_cpu']:,.0f} events per CPU-second)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--no-single", action="store_true", help="skip the single-process run")
    parser.add_argument("--out", default=None, help="work directory (default: a temp dir, removed)")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench-sample-"))
    try:
        print(f"cores: {len(os.sched_getaffinity(0))}  load average before: "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        gen = run_generator(work / "sample", args.days, args.events_per_day, None)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(_line("generator", gen) + f"; {gen['log_files']:,} log files, {gen['digest_files']:,} "
              f"digests, {gen['bytes_gzip'] / 1e6:.1f} MB gzip; peak RSS parent {peak_mb:.0f} MB, "
              f"largest worker {kids_mb:.0f} MB")
        if not args.no_single:
            single = run_generator(work / "single", args.days, args.events_per_day, 1)
            print(_line("single process (workers=1)", single))
            print(f"ratio generator/single process: {gen['eps'] / single['eps']:.2f} (wall), "
                  f"{gen['eps_cpu'] / single['eps_cpu']:.2f} (per CPU-second)")
        base = run_baseline(Path(gen["raw"]), work / "baseline")
        print(_line("naive writer (json.dumps + gzip of the same records)", base))
        print(f"ratio generator/naive writer: {gen['eps'] / base['eps']:.2f} (wall), "
              f"{gen['eps_cpu'] / base['eps_cpu']:.2f} (per CPU-second)")
        print(f"target 50,000 events/s: {'met' if gen['eps'] >= 50_000 else 'NOT met'} "
              f"(load average after: {os.getloadavg()[0]:.2f})")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
