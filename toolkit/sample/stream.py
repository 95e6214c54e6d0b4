"""Work units of the sample: one account's trail for a block of 5-minute windows (a day, or 3
hours when the sample has too few account-days to keep the cores busy), or one account's
CloudWatch day. Each unit has its own seeded RNGs, so a unit's files are the same
whichever process runs it and in whatever order.

A trail unit starts with fresh actors (sessions and console logins are re-established at the
block's first use, each with its issuing event) and returns what the parent needs to write the
digests: one ``(region, delivered, key, sha256, oldest, newest)`` tuple per log file.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
import random
from dataclasses import dataclass

from toolkit.sample import cast as cast_mod
from toolkit.sample import ids, ops
from toolkit.sample.delivery import Deliveries, log_prefix
from toolkit.sample.metrics import write_account_day
from toolkit.sample.records import RecordFactory
from toolkit.sample.world import Account

WINDOW = 300
DAY_WINDOWS = 288
SHORT_BLOCK_WINDOWS = 36    # 3 hours: trail unit of samples with few account-days
MIN_ACCOUNT_DAYS = 4        # from this many account-days on, a trail unit is a whole day


def block_windows(account_days: int) -> int:
    """Windows per trail unit. Depends only on the sample's size, never on the workers, so the
    bytes do not either; longer blocks keep sessions and console logins going longer."""
    return DAY_WINDOWS if account_days >= MIN_ACCOUNT_DAYS else SHORT_BLOCK_WINDOWS


@dataclass(frozen=True)
class Context:
    """What every unit reads (sent once to each worker process)."""

    seed: int
    world: list[Account]
    out: str
    raw: str
    first: dt.date
    day0: int
    shift: dict | None       # the metric shift (resource_id, shift_start epoch)


@dataclass(frozen=True)
class TrailUnit:
    """Background activity of one account for consecutive windows, plus its scripted records."""

    account: int                       # index into Context.world
    start: int                         # epoch of the first window
    counts: tuple[int, ...]            # events per window
    human_shares: tuple[float, ...]    # share of events made by humans, per window
    scripted: tuple = ()               # (epoch, record) pairs to merge in by time

    @property
    def end(self) -> int:
        return self.start + WINDOW * len(self.counts)

    def run(self, ctx: Context) -> dict:
        account = ctx.world[self.account]
        acct = account.account_id
        stream = AccountStream(account, random.Random(f"trail:{ctx.seed}:{acct}:{self.start}"),
                               ctx.day0, self.scripted)
        out = Deliveries(ctx.raw, acct, log_prefix(acct, account.org_id),
                         random.Random(f"delivery:{ctx.seed}:{acct}:{self.start}"))
        for i, n in enumerate(self.counts):
            w_start = self.start + i * WINDOW
            for region, records in stream.window(w_start, n, self.human_shares[i]).items():
                out.deliver(region, records, w_start + WINDOW)
        return {"account": self.account, "end": self.end, "events": stream.events,
                "files": out.delivered, "duplicates": out.duplicates, "bytes": out.bytes_written}


@dataclass(frozen=True)
class MetricsUnit:
    """CloudWatch datapoints of one account for one day (a file per region)."""

    account: int
    day: int

    def run(self, ctx: Context) -> dict:
        files = write_account_day(ctx.out, ctx.world[self.account], ctx.first, ctx.day0, self.day,
                                  ctx.seed, ctx.shift)
        return {"metric_files": files}


_event_time = operator.itemgetter("eventTime")


class AccountStream:
    """One account's actors and pending scripted records; produces window records."""

    def __init__(self, account: Account, rng: random.Random, day0: int, scripted=()):
        self.account = account
        self.f = RecordFactory(account, rng)
        self.actors = cast_mod.cast(account)
        self.scripted: list[tuple[int, dict]] = list(scripted)
        self.humans = self._table([a for a in self.actors if a.human])
        self.machines = self._table([a for a in self.actors if not a.human])
        self._ua_cache: dict[tuple[str, str], str] = {}
        for a in self.actors:
            a._ops = [ops.CATALOG[name] for name in a.ops]
            a._cum = list(_cumulative(a.op_weights))
            a._inst = getattr(a, "instance", None)
            launch = a._inst.launch_day if a._inst is not None else None
            a._active_from = day0 + launch * 86400 + 10 * 3600 + 15 * 60 if launch is not None else 0
        self.events = 0

    @staticmethod
    def _table(actors: list) -> list:
        """A 4096-slot lookup table: uniform index -> actor, proportional to weight."""
        total = sum(a.weight for a in actors)
        table: list = []
        for a in actors:
            table.extend([a] * max(1, round(4096 * a.weight / total)))
        return table

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
        self._merge_scripted(start, out)
        self.events += len(out)
        by_region: dict[str, list[dict]] = {}
        for rec in out:
            by_region.setdefault(rec["awsRegion"], []).append(rec)
        for recs in by_region.values():
            recs.sort(key=_event_time)
        return by_region

    def _merge_scripted(self, start: int, out: list[dict]) -> None:
        """Add the scripted records due by the window's end (earlier leftovers are dropped)."""
        end, scripted = start + WINDOW, self.scripted
        taken = 0
        while taken < len(scripted) and scripted[taken][0] < end:
            t, rec = scripted[taken]
            if t >= start - WINDOW:
                out.append(rec)
            taken += 1
        del scripted[:taken]

    def _ua(self, template: str, op) -> str:
        key = (template, op.name)
        found = self._ua_cache.get(key)
        if found is None:
            service = op.source.split(".")[0]
            verb = "".join("-" + c.lower() if c.isupper() else c for c in op.name.split(":")[0].rstrip("0123456789v")).lstrip("-")
            found = self._ua_cache[key] = template.format(cmd=f"{service}.{verb}", svc=service)
        return found


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total
