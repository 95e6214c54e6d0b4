"""``generate_account``: a realistic sample AWS estate written exactly as AWS delivers it.

Time advances in 5-minute windows; each window's events of each account/region become one
log file, delivered a few minutes later. Only one window and the digests' pending file lists
are in memory at a time, so corpora of millions of events stream out in bounded memory.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
import random
import shutil

import orjson

from toolkit.integrity import digest as dg
from toolkit.sample import cast as cast_mod
from toolkit.sample import ids, ops
from toolkit.sample.delivery import SIGNATURE_SIDECAR_DIR, FileWriter, TrailWriter, log_prefix
from toolkit.sample.incident import Incident
from toolkit.sample.records import RecordFactory
from toolkit.sample.scripted import Script
from toolkit.sample.world import RARE_REGION, REGIONS, Account, build_accounts

WINDOW = 300
TRAIL_REGIONS = REGIONS + (RARE_REGION, "ap-southeast-1", "sa-east-1")
MARKER = ".trailwatch-sample.json"
OWNED = ("raw", "truth", "cloudwatch", "public-keys.json", MARKER)


def human_curve(hour: float, weekday: int) -> float:
    """Relative human activity by UTC hour: EU morning and US business-hours peaks."""
    c = 0.04 + math.exp(-(((hour - 16.0) / 3.2) ** 2)) + 0.6 * math.exp(-(((hour - 10.0) / 2.5) ** 2))
    return c * (0.15 if weekday >= 5 else 1.0)


class AccountStream:
    """One account's actors, scripted records and trail writers; produces window records."""

    def __init__(self, account: Account, seed: int, raw: str, key, day0: int, writer: FileWriter):
        self.account = account
        self.f = RecordFactory(account, random.Random(f"trail:{seed}:{account.account_id}"))
        self.actors = cast_mod.cast(account)
        self.scripted: list[tuple[int, dict]] = []
        self.humans = self._table([a for a in self.actors if a.human])
        self.machines = self._table([a for a in self.actors if not a.human])
        self.human_weight = sum(a.weight for a in self.actors if a.human)
        self.machine_weight = sum(a.weight for a in self.actors if not a.human)
        self._ua_cache: dict[tuple[str, str], str] = {}
        for a in self.actors:
            a._ops = [ops.CATALOG[name] for name in a.ops]
            a._cum = list(_cumulative(a.op_weights))
            a._inst = getattr(a, "instance", None)
            launch = a._inst.launch_day if a._inst is not None else None
            a._active_from = day0 + launch * 86400 + 10 * 3600 + 15 * 60 if launch is not None else 0
        prefix = log_prefix(account.account_id, account.org_id)
        fp = dg.fingerprint(key.public_key())
        self.writers = {
            region: TrailWriter(raw, account.account_id, region, prefix, account.trail_bucket,
                                account.trail_name, "us-east-1", key, fp,
                                day0 + 30 + (int(account.account_id) + i * 37) % 240,
                                random.Random(f"delivery:{seed}:{account.account_id}:{region}"), writer)
            for i, region in enumerate(TRAIL_REGIONS)}
        self.events = 0

    @staticmethod
    def _table(actors: list) -> list:
        """A 4096-slot lookup table: uniform index -> actor, proportional to weight."""
        total = sum(a.weight for a in actors)
        table: list = []
        for a in actors:
            table.extend([a] * max(1, round(4096 * a.weight / total)))
        return table

    def add_scripted(self, records: list[tuple[int, dict]]) -> None:
        self.scripted.extend(records)
        self.scripted.sort(key=lambda p: (p[0], p[1]["eventID"]))

    def window(self, start: int, n: int, human_share: float) -> dict[str, list[dict]]:
        """Records of one 5-minute window grouped by region, time-ordered."""
        f, rng = self.f, self.f.rng
        out: list[dict] = []
        minute = [ids.iso(start + 60 * m)[:17] for m in range(5)]
        rand = rng.random  # int(rand() * n) is much cheaper than rng.randrange in this hot loop
        humans, machines = self.humans, self.machines
        n_h, n_m = len(humans), len(machines)
        for off in sorted([int(rand() * WINDOW) for _ in range(n)]):
            t = start + off
            actor = humans[int(rand() * n_h)] if rand() < human_share else machines[int(rand() * n_m)]
            if actor._active_from > t:
                continue
            regions = actor.regions
            region = regions[0] if len(regions) == 1 or rand() < 0.6 else regions[int(rand() * len(regions))]
            console = actor.console_share > 0 and rand() < actor.console_share
            ident = actor.identity(f, t, region, console, out)
            op = actor._ops[bisect.bisect(actor._cum, rand() * actor._cum[-1])]
            ip = actor.ips[0] if len(actor.ips) == 1 else actor.ips[int(rand() * len(actor.ips))]
            if console or len(actor.uas) == 1:
                ua = actor.uas[0]          # console sessions use the browser's user agent
            elif actor.console_share:
                ua = actor.uas[1]          # the same person's CLI
            else:
                ua = actor.uas[int(rand() * len(actor.uas))]
            if "{" in ua:
                ua = self._ua(ua, op)
            error = None
            if rand() < actor.error_rate:
                error = "throttled" if not actor.human and rand() < 0.6 else "denied"
            f.current_instance = actor._inst
            out.append(ops.call(f, op, ident, f"{minute[off // 60]}{off % 60:02d}Z", region, ip, ua,
                                console, error, ident.get("arn", "")))
        f.current_instance = None
        end = start + WINDOW
        while self.scripted and self.scripted[0][0] < end:
            t, rec = self.scripted.pop(0)
            if t >= start - WINDOW:
                out.append(rec)
        self.events += len(out)
        by_region: dict[str, list[dict]] = {}
        for rec in out:
            by_region.setdefault(rec["awsRegion"], []).append(rec)
        for recs in by_region.values():
            recs.sort(key=_event_time)
        return by_region

    def _ua(self, template: str, op) -> str:
        key = (template, op.name)
        found = self._ua_cache.get(key)
        if found is None:
            service = op.source.split(".")[0]
            verb = "".join("-" + c.lower() if c.isupper() else c for c in op.name.split(":")[0].rstrip("0123456789v")).lstrip("-")
            found = self._ua_cache[key] = template.format(cmd=f"{service}.{verb}", svc=service)
        return found


def _event_time(rec: dict) -> str:
    return rec["eventTime"]


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


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
             org=False) -> dict:
    """Write the sample estate under ``out``; returns a summary (counts and paths)."""
    from toolkit.lake import parse_day
    from toolkit.sample.metrics import write_metrics

    first = parse_day(start)
    if days < 1 or events_per_day < 1 or accounts < 1:
        raise ValueError("--days, --events-per-day and --accounts must be at least 1")
    out = os.path.abspath(os.fspath(out))
    prepare_output(out)
    raw = os.path.join(out, "raw")
    world = build_accounts(seed, accounts, org)
    key = dg.deterministic_rsa_key(str(seed))
    day0 = ids.epoch(first)
    writer = FileWriter()
    try:
        streams = [AccountStream(a, seed, raw, key, day0, writer) for a in world]
        truth = _stream_trail(streams, first, day0, days, events_per_day)
    finally:
        writer.close()
    truth["metric_files"] = write_metrics(out, world, first, days, seed, truth)
    _write_json(os.path.join(out, "truth", "incident.json"), truth)
    _write_json(os.path.join(out, "public-keys.json"), {"PublicKeyList": [dg.public_key_entry(
        key.public_key(), f"{(first - dt.timedelta(days=30)).isoformat()}T00:00:00+00:00",
        f"{(first + dt.timedelta(days=days + 365)).isoformat()}T00:00:00+00:00")]})
    summary = {
        "out": out, "raw": raw, "start": first.isoformat(), "days": days,
        "events_per_day": events_per_day, "seed": seed, "org_id": world[0].org_id,
        "accounts": [a.account_id for a in world],
        "events": sum(s.events for s in streams),
        "log_files": sum(w.files for s in streams for w in s.writers.values()),
        "duplicate_deliveries": sum(w.duplicates for s in streams for w in s.writers.values()),
        "digest_files": sum(w.digests for s in streams for w in s.writers.values()),
        "bytes_gzip": writer.bytes_written,
        "truth": os.path.join(out, "truth", "incident.json"),
        "public_keys": os.path.join(out, "public-keys.json"),
        "cloudwatch": os.path.join(out, "cloudwatch"),
        "signature_metadata": os.path.join(raw, SIGNATURE_SIDECAR_DIR),
    }
    _write_json(os.path.join(out, MARKER), {k: summary[k] for k in (
        "start", "days", "events_per_day", "seed", "org_id", "accounts", "events")})
    return summary


def _stream_trail(streams: list[AccountStream], first: dt.date, day0: int, days: int,
                  events_per_day: int) -> dict:
    """Generate and deliver every window of every account; returns the truth of the script."""
    truth = _script(streams, day0, days)
    for day in range(days):
        weekday = (first + dt.timedelta(days=day)).weekday()
        curve = [human_curve((i * WINDOW + 150) / 3600, weekday) for i in range(288)]
        for s in streams:
            weights = [s.machine_weight * (0.9 + 0.15 * c) + s.human_weight * c * 2.2 for c in curve]
            for i, n in enumerate(window_counts(events_per_day, weights)):
                w_start = day0 + day * 86400 + i * WINDOW
                share = s.human_weight * curve[i] * 2.2 / weights[i]
                for region, recs in s.window(w_start, n, share).items():
                    s.writers[region].deliver(recs, w_start + WINDOW)
                for writer in s.writers.values():
                    writer.flush_digests(w_start + WINDOW)
    end = day0 + days * 86400
    for s in streams:
        for writer in s.writers.values():
            writer.flush_digests(end + 2 * 3600)
    return truth


def _script(streams: list[AccountStream], day0: int, days: int) -> dict:
    """Scripted benign changes in every account; the incident and the metric shift in the first."""
    truth: dict = {"rightsizing": [], "benign_notable": {}, "accounts": []}
    for n, s in enumerate(streams):
        a = s.account
        script = Script(s.f, a, day0, days)
        launched = script.launches()
        notable = {"root_activity_event_ids": script.root_activity(),
                   "routine_change_event_ids": script.routine_changes(),
                   "instance_launch_event_ids": [r["eventID"] for r in launched]}
        if n == 0:
            shifted = next(i for i in a.instances if i.purpose == "web" and i.region == "us-east-1")
            shift = script.instance_type_change(shifted, days // 2)
            truth["metric_shift"] = dict(shift, account_id=a.account_id, region=shifted.region,
                                         resource_id=shifted.instance_id)
            incident_day = min(days - 1, (2 * days) // 3)
            inc = Incident(s.f, a, day0 + incident_day * 86400 + 2 * 3600 + 13 * 60)
            truth["incident"] = inc.build()
            s.add_scripted(inc.records)
        s.add_scripted(script.records)
        truth["benign_notable"][a.account_id] = notable
        truth["accounts"].append({"account_id": a.account_id, "name": a.name, "org_id": a.org_id,
                                  "trail_bucket": a.trail_bucket, "trail_name": a.trail_name,
                                  "regions": list(TRAIL_REGIONS)})
    return truth


def _write_json(path: str, doc) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)
