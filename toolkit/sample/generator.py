"""``generate_account``: a realistic sample AWS estate written exactly as AWS delivers it.

Time advances in 5-minute windows; each window's events of each account/region become one
log file, delivered a few minutes later. The work is split into units (one account's trail for
a day or 3 hours, one account's CloudWatch day; see ``stream``) with their own seeded RNGs and run on
the machine's cores; the parent chains and signs the hourly digests from the units' file lists,
in order. Workers write their files as they go, so corpora of millions of events stream out in
bounded memory, and the bytes are the same whatever the number of workers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
import random
import shutil
from collections import Counter

import orjson

from toolkit.integrity import digest as dg
from toolkit.lake import parse_day
from toolkit.sample import cast as cast_mod
from toolkit.sample import ids, pool
from toolkit.sample.delivery import SIGNATURE_SIDECAR_DIR, DigestChain, log_prefix
from toolkit.sample.incident import Incident
from toolkit.sample.metrics import metrics_truth
from toolkit.sample.records import RecordFactory
from toolkit.sample.scripted import Script
from toolkit.sample.stream import WINDOW, Context, MetricsUnit, TrailUnit, block_windows
from toolkit.sample.world import RARE_REGION, REGIONS, Account, build_accounts

TRAIL_REGIONS = REGIONS + (RARE_REGION, "ap-southeast-1", "sa-east-1")
MARKER = ".trailwatch-sample.json"
OWNED = ("raw", "truth", "cloudwatch", "public-keys.json", MARKER)


def human_curve(hour: float, weekday: int) -> float:
    """Relative human activity by UTC hour: EU morning and US business-hours peaks."""
    c = 0.04 + math.exp(-(((hour - 16.0) / 3.2) ** 2)) + 0.6 * math.exp(-(((hour - 10.0) / 2.5) ** 2))
    return c * (0.15 if weekday >= 5 else 1.0)


def window_counts(events_per_day: int, hour_weights: list[float]) -> list[int]:
    """Split a day's events over 288 windows by weight, summing exactly to the total."""
    total = sum(hour_weights)
    raw = [events_per_day * x / total for x in hour_weights]
    counts = [int(x) for x in raw]
    short = events_per_day - sum(counts)
    for i in sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))[:short]:
        counts[i] += 1
    return counts


def prepare_output(out: str) -> None:
    """Refuse a non-sample directory; clear a previous sample's files for an idempotent re-run."""
    if os.path.exists(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
        if any(os.path.exists(os.path.join(out, name)) for name in OWNED):
            raise ValueError(f"{out} holds raw/, truth/ or cloudwatch/ not written by trailwatch sample; "
                             "choose an empty or new directory")
    for name in OWNED:
        path = os.path.join(out, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    os.makedirs(out, exist_ok=True)


def generate(out, *, start="2025-03-03", days=7, events_per_day=8000, accounts=1, seed=7,
             org=False, workers: int | None = None) -> dict:
    """Write the sample estate under ``out``; returns a summary (counts and paths).
    ``workers``: processes to use (default: the machine's cores for big samples)."""
    first = parse_day(start)
    if days < 1 or events_per_day < 1 or accounts < 1:
        raise ValueError("--days, --events-per-day and --accounts must be at least 1")
    out = os.path.abspath(os.fspath(out))
    prepare_output(out)
    raw = os.path.join(out, "raw")
    world = build_accounts(seed, accounts, org)
    day0 = ids.epoch(first)
    truth, scripted = _script(world, seed, day0, days)
    shift = truth["metric_shift"]
    ctx = Context(seed, world, out, raw, first, day0,
                  {"resource_id": shift["resource_id"], "shift_start": shift["shift_start"]})
    units = _trail_units(world, scripted, first, day0, days, events_per_day)
    units += [MetricsUnit(a, day) for day in range(days) for a in range(len(world))]
    if workers is None:
        workers = pool.default_workers(days * events_per_day * accounts, len(units))
    with pool.results(units, ctx, workers) as results:
        key = dg.deterministic_rsa_key(str(seed))  # while the workers start
        chains = _digest_chains(world, raw, key, day0)
        totals = _collect(results, chains, day0 + days * 86400)
    metrics_truth(world, truth)
    truth["metric_files"] = totals["metric_files"]
    _write_json(os.path.join(out, "truth", "incident.json"), truth)
    _write_json(os.path.join(out, "public-keys.json"), {"PublicKeyList": [dg.public_key_entry(
        key.public_key(), f"{(first - dt.timedelta(days=30)).isoformat()}T00:00:00+00:00",
        f"{(first + dt.timedelta(days=days + 365)).isoformat()}T00:00:00+00:00")]})
    summary = {
        "out": out, "raw": raw, "start": first.isoformat(), "days": days,
        "events_per_day": events_per_day, "seed": seed, "org_id": world[0].org_id,
        "accounts": [a.account_id for a in world],
        "events": totals["events"], "log_files": totals["log_files"],
        "duplicate_deliveries": totals["duplicates"], "digest_files": totals["digests"],
        "bytes_gzip": totals["bytes"],
        "truth": os.path.join(out, "truth", "incident.json"),
        "public_keys": os.path.join(out, "public-keys.json"),
        "cloudwatch": os.path.join(out, "cloudwatch"),
        "signature_metadata": os.path.join(raw, SIGNATURE_SIDECAR_DIR),
    }
    _write_json(os.path.join(out, MARKER), {k: summary[k] for k in (
        "start", "days", "events_per_day", "seed", "org_id", "accounts", "events")})
    return summary


def _trail_units(world: list[Account], scripted: list[list[tuple[int, dict]]], first: dt.date,
                 day0: int, days: int, events_per_day: int) -> list[TrailUnit]:
    """Every account's trail in blocks of windows, in time order (the order digests need)."""
    actors = [cast_mod.cast(a) for a in world]
    human = [sum(a.weight for a in cast if a.human) for cast in actors]
    machine = [sum(a.weight for a in cast if not a.human) for cast in actors]
    units, block = [], block_windows(days * len(world))
    for day in range(days):
        weekday = (first + dt.timedelta(days=day)).weekday()
        curve = [human_curve((i * WINDOW + 150) / 3600, weekday) for i in range(288)]
        plans = []
        for n in range(len(world)):
            weights = [machine[n] * (0.9 + 0.15 * c) + human[n] * c * 2.2 for c in curve]
            shares = [human[n] * c * 2.2 / w for c, w in zip(curve, weights, strict=True)]
            plans.append((window_counts(events_per_day, weights), shares))
        for b in range(0, 288, block):
            start = day0 + day * 86400 + b * WINDOW
            for n, (counts, shares) in enumerate(plans):
                due = _due(scripted[n], start, start + block * WINDOW, start == day0)
                units.append(TrailUnit(n, start, tuple(counts[b:b + block]),
                                       tuple(shares[b:b + block]), due))
    return units


def _due(scripted: list[tuple[int, dict]], start: int, end: int, first: bool) -> tuple:
    """Scripted records of ``[start, end)``; the first block also takes the window before it."""
    times = [t for t, _ in scripted]
    lo = bisect.bisect_left(times, start - WINDOW if first else start)
    return tuple(scripted[lo:bisect.bisect_left(times, end)])


def _digest_chains(world: list[Account], raw: str, key, day0: int) -> list[dict[str, DigestChain]]:
    """Per account, per region: the digest chain (each starts at its own minute of the day)."""
    fp = dg.fingerprint(key.public_key())
    return [{region: DigestChain(raw, a.account_id, region, log_prefix(a.account_id, a.org_id),
                                 a.trail_bucket, a.trail_name, "us-east-1", key, fp,
                                 day0 + 30 + (int(a.account_id) + i * 37) % 240)
             for i, region in enumerate(TRAIL_REGIONS)} for a in world]


def _collect(results, chains: list[dict[str, DigestChain]], end: int) -> Counter:
    """Feed the units' log files to the digest chains in order; returns the totals."""
    totals: Counter = Counter()
    for r in results:
        if "metric_files" in r:
            totals["metric_files"] += r["metric_files"]
            continue
        account = chains[r["account"]]
        for region, delivered, key, sha, oldest, newest in r["files"]:
            account[region].add(delivered, key, sha, oldest, newest)
        for chain in account.values():  # this account's later files are delivered after r["end"]
            chain.flush_digests(r["end"])
        totals.update(events=r["events"], log_files=len(r["files"]), duplicates=r["duplicates"],
                      bytes=r["bytes"])
    for account in chains:
        for chain in account.values():
            chain.flush_digests(end + 2 * 3600)
            totals.update(digests=chain.digests, bytes=chain.bytes_written)
    return totals


def _script(world: list[Account], seed: int, day0: int, days: int) -> tuple[dict, list]:
    """Scripted benign changes in every account; the incident and the metric shift in the first.
    Returns the truth and, per account, its (epoch, record) pairs in time order."""
    truth: dict = {"rightsizing": [], "benign_notable": {}, "accounts": []}
    scripted = []
    for n, a in enumerate(world):
        f = RecordFactory(a, random.Random(f"script:{seed}:{a.account_id}"))
        script = Script(f, a, day0, days)
        launched = script.launches()
        notable = {"root_activity_event_ids": script.root_activity(),
                   "routine_change_event_ids": script.routine_changes(),
                   "instance_launch_event_ids": [r["eventID"] for r in launched]}
        records = script.records
        if n == 0:
            shifted = next(i for i in a.instances if i.purpose == "web" and i.region == "us-east-1")
            shift = script.instance_type_change(shifted, days // 2)
            truth["metric_shift"] = dict(shift, account_id=a.account_id, region=shifted.region,
                                         resource_id=shifted.instance_id)
            incident_day = min(days - 1, (2 * days) // 3)
            inc = Incident(f, a, day0 + incident_day * 86400 + 2 * 3600 + 13 * 60)
            truth["incident"] = inc.build()
            records = records + inc.records
        scripted.append(sorted(records, key=lambda p: (p[0], p[1]["eventID"])))
        truth["benign_notable"][a.account_id] = notable
        truth["accounts"].append({"account_id": a.account_id, "name": a.name, "org_id": a.org_id,
                                  "trail_bucket": a.trail_bucket, "trail_name": a.trail_name,
                                  "regions": list(TRAIL_REGIONS)})
    return truth, scripted


def _write_json(path: str, doc) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)
