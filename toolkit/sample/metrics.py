"""CloudWatch datapoints for the sample's resources, in a GetMetricData-like JSON layout.

``out/cloudwatch/<account>/<region>/metrics-YYYY-MM-DD.json``::

    {"AccountId", "Region", "MetricDataResults": [{"Id", "Label", "Namespace", "MetricName",
      "Dimensions": [{"Name", "Value"}], "Unit", "Period", "Statistic",
      "Timestamps": [ascending ISO-8601 Z], "Values": [...]}]}

One gauge value per period (the statistic named in ``Statistic``). Daily seasonality; idle
instances for rightsizing; the shifted instance's CPU steps up after its type change.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random

import orjson

from toolkit.cloudwatch.catalog import UNITS
from toolkit.sample import ids
from toolkit.sample.world import Account, Instance


def _diurnal(second_of_day: int, peak_hour: float = 16.0) -> float:
    """0..1 daily cycle peaking at ``peak_hour`` UTC."""
    return 0.5 + 0.5 * math.cos((second_of_day / 3600 - peak_hour) / 24 * 2 * math.pi)


# purpose -> (cpu base, cpu diurnal amplitude, memory base)
CPU_PROFILE = {"web": (18.0, 22.0, 55.0), "api": (25.0, 25.0, 62.0), "worker": (30.0, 15.0, 48.0),
               "batch": (8.0, 4.0, 35.0), "idle": (2.5, 1.5, 11.0), "bastion": (1.0, 0.5, 22.0)}


class Series:
    """Collects one metric's timestamps and values for a day (its unit: the documented one that
    ``toolkit.cloudwatch.catalog`` holds)."""

    def __init__(self, namespace, name, dims, period, stat, resource):
        self.meta = {"Namespace": namespace, "MetricName": name,
                     "Dimensions": [{"Name": k, "Value": v} for k, v in dims], "Unit": UNITS[name],
                     "Period": period, "Statistic": stat}
        self.resource = resource
        self.timestamps: list[str] = []
        self.values: list[float] = []


def _instance_series(inst: Instance, rng: random.Random, day_start: int, launched: int,
                     shift: dict | None) -> list[Series]:
    base, amp, mem = CPU_PROFILE[inst.purpose]
    dims = [("InstanceId", inst.instance_id)]
    cpu = Series("AWS/EC2", "CPUUtilization", dims, 300, "Average", inst.instance_id)
    net_in = Series("AWS/EC2", "NetworkIn", dims, 300, "Sum", inst.instance_id)
    net_out = Series("AWS/EC2", "NetworkOut", dims, 300, "Sum", inst.instance_id)
    # The CloudWatch agent's default config appends InstanceId and InstanceType dimensions.
    agent_dims = dims + [("InstanceType", inst.instance_type)]
    memory = Series("CWAgent", "mem_used_percent", agent_dims, 60, "Average", inst.instance_id)
    shift_at = shift["shift_start"] if shift and shift["resource_id"] == inst.instance_id else None
    minutes = ids.day_stamps(day_start, 60)
    for k in range(288):
        t = day_start + k * 300
        if t < launched:
            continue
        cycle = _diurnal(t - day_start)
        if inst.purpose == "batch":
            cycle = 8.0 if 3600 <= (t - day_start) < 4 * 3600 else 0.2
        value = base + amp * cycle + rng.gauss(0, 1.5 if inst.purpose != "idle" else 0.4)
        if shift_at is not None and t >= shift_at:
            value = value * 2.1 + 6  # smaller instance type: same load, higher utilisation
        stamp = minutes[5 * k]
        cpu.timestamps.append(stamp)
        cpu.values.append(round(min(100.0, max(0.1, value)), 3))
        traffic = (2e6 if inst.purpose != "idle" else 4e4) * (0.3 + cycle) * rng.uniform(0.85, 1.15)
        for series, scale in ((net_in, 1.0), (net_out, 2.6)):
            series.timestamps.append(stamp)
            series.values.append(float(round(traffic * scale)))
        for m in range(5):
            memory.timestamps.append(minutes[5 * k + m])
            memory.values.append(round(min(99.0, mem + 6 * cycle + rng.gauss(0, 0.8)), 3))
    return [cpu, net_in, net_out, memory]


def _per_minute(series_specs, rng, day_start, fn) -> list[Series]:
    series = [Series(*spec) for spec in series_specs]
    for k, stamp in enumerate(ids.day_stamps(day_start, 60)):
        for s, v in zip(series, fn(60 * k, rng), strict=True):
            s.timestamps.append(stamp)
            s.values.append(v)
    return series


def _rds(db: str, rng, day_start):
    dims = [("DBInstanceIdentifier", db)]
    return _per_minute([("AWS/RDS", "CPUUtilization", dims, 60, "Average", db),
                        ("AWS/RDS", "DatabaseConnections", dims, 60, "Average", db)],
                       rng, day_start, lambda s, r: (
                           round(12 + 30 * _diurnal(s) + r.gauss(0, 2), 3),
                           float(max(0, round(20 + 60 * _diurnal(s) + r.gauss(0, 4))))))


def _lambda(fn: str, rng, day_start):
    dims = [("FunctionName", fn)]

    def values(s, r):
        calls = max(0, round((40 + 160 * _diurnal(s)) * r.uniform(0.8, 1.2)))
        errors = sum(1 for _ in range(min(calls, 30)) if r.random() < 0.01)
        return float(calls), float(errors), round(180 + 60 * _diurnal(s) + r.gauss(0, 15), 2)
    return _per_minute([("AWS/Lambda", "Invocations", dims, 60, "Sum", fn),
                        ("AWS/Lambda", "Errors", dims, 60, "Sum", fn),
                        ("AWS/Lambda", "Duration", dims, 60, "Average", fn)],
                       rng, day_start, values)


def _alb(lb: str, rng, day_start):
    dims = [("LoadBalancer", lb)]

    def values(s, r):
        requests = max(0, round((300 + 2400 * _diurnal(s)) * r.uniform(0.85, 1.15)))
        return (float(requests), round(0.045 + 0.04 * _diurnal(s) + abs(r.gauss(0, 0.006)), 4),
                float(sum(1 for _ in range(5) if r.random() < 0.04)))
    return _per_minute([("AWS/ApplicationELB", "RequestCount", dims, 60, "Sum", lb),
                        ("AWS/ApplicationELB", "TargetResponseTime", dims, 60, "Average", lb),
                        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, 60, "Sum", lb)],
                       rng, day_start, values)


def write_account_day(out: str, account: Account, first: dt.date, day0: int, day: int, seed: int,
                      shift: dict | None) -> int:
    """Write one account's files for day index ``day`` (one per region); returns the count."""
    day_start = day0 + day * 86400
    regions = sorted({i.region for i in account.instances} | set(account.functions))
    for region in regions:
        rng = random.Random(f"metrics:{seed}:{account.account_id}:{region}:{day}")
        series: list[Series] = []
        for inst in account.instances_in(region):
            launched = day0 + inst.launch_day * 86400 + 10 * 3600 + 15 * 60 if inst.launch_day is not None else 0
            series += _instance_series(inst, rng, day_start, launched, shift)
        for db in account.databases.get(region, []):
            series += _rds(db, rng, day_start)
        for fn in account.functions.get(region, []):
            series += _lambda(fn, rng, day_start)
        if region in account.load_balancers:
            series += _alb(account.load_balancers[region], rng, day_start)
        _write_day(out, account.account_id, region, first + dt.timedelta(days=day), series)
    return len(regions)


def metrics_truth(world: list[Account], truth: dict) -> None:
    """Fill ``truth['rightsizing']`` and describe the metric shift (after the files are written)."""
    for account in world:
        for inst in account.instances:
            if inst.purpose == "idle":
                truth["rightsizing"].append({
                    "account_id": account.account_id, "region": inst.region,
                    "instance_id": inst.instance_id, "instance_type": inst.instance_type,
                    "expected": "downsize", "cpu_average_percent_approx": CPU_PROFILE["idle"][0] + 0.75,
                    "mem_used_percent_approx": CPU_PROFILE["idle"][2] + 3,
                    "launched_in_window": inst.launch_day is not None})
    shift = truth.get("metric_shift")
    if shift is not None:
        shift.update({"namespace": "AWS/EC2", "metric_name": "CPUUtilization",
                      "dimensions": [{"Name": "InstanceId", "Value": shift["resource_id"]}],
                      "shift_start": ids.iso(shift["shift_start"]) if isinstance(shift["shift_start"], int)
                      else shift["shift_start"], "direction": "up", "approx_factor": 2.1})


def _write_day(out: str, account_id: str, region: str, day: dt.date, series: list[Series]) -> None:
    results = [dict(Id=f"m{i}", Label=f"{s.resource} {s.meta['MetricName']}", **s.meta,
                    Timestamps=s.timestamps, Values=s.values, StatusCode="Complete")
               for i, s in enumerate(series) if s.timestamps]
    path = os.path.join(out, "cloudwatch", account_id, region, f"metrics-{day.isoformat()}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as fh:
        fh.write(orjson.dumps({"AccountId": account_id, "Region": region, "MetricDataResults": results}))
    os.replace(path + ".part", path)
