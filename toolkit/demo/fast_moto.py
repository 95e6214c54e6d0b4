"""moto's server with an indexed GetMetricData, for local runs with days of datapoints.

moto answers GetMetricData by scanning every stored datapoint for every query and every period
slot (O(queries x slots x datapoints)): a 7-day sample account (~450k datapoints) takes hours.
This drop-in gives the same answers — same matching rules (including moto's quirks), same
``Statistics`` arithmetic, same ordering — by grouping the window's datapoints once per call and
walking each query's sorted datapoints slot by slot. Metric math and Metrics Insights queries
go to moto's own implementation. ``tests/demo/test_fast_moto.py`` checks equivalence.

ListMetrics: moto compares every stored datapoint with every metric found so far, and its
``are_dimensions_same`` never matches metrics with two or more dimensions, so such a metric is
listed once per datapoint. The drop-in lists each (namespace, name, dimensions) once, in moto's
order, with moto's own namespace/name/dimension filters — as CloudWatch does.

Percentile statistics (``p95``, ``p99.9``), for which moto answers HTTP 500, are computed from
the raw values published in the slot (nearest rank), as CloudWatch does for raw datapoints;
slots holding only statistic sets have no percentile, as in CloudWatch.

Run as ``python -m toolkit.demo.fast_moto -H 127.0.0.1 -p PORT`` (moto.server's arguments).
"""

from __future__ import annotations

import math
import re
import sys
from collections import defaultdict
from datetime import timedelta
from typing import Any


def indexed_get_metric_data(self, queries: list[dict[str, Any]], start_time, end_time,
                            scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
    """``CloudWatchBackend.get_metric_data`` with per-call grouping instead of nested scans."""
    from moto.cloudwatch.exceptions import ValidationError
    from moto.cloudwatch.models import Dimension, Statistics

    if any("MetricStat" not in q for q in queries):
        return _ORIGINAL(self, queries, start_time, end_time, scan_by)
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time > end_time:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    if start_time == end_time:
        raise ValidationError("The parameter StartTime must not equal parameter EndTime.")
    by_name: dict[str, list] = defaultdict(list)
    for md in self.get_all_metrics():
        if start_time <= md.timestamp < end_time:
            by_name[md.name].append(md)
    results = []
    for query in queries:
        stat_query = query["MetricStat"]
        metric = stat_query["Metric"]
        name, namespace, unit = metric["MetricName"], metric["Namespace"], stat_query.get("Unit")
        dimensions = sorted(Dimension(name=d["Name"], value=d["Value"])
                            for d in metric.get("Dimensions", []))
        if dimensions:  # moto matches name + dimensions (not namespace) when dimensions are given
            data = [md for md in by_name[name] if sorted(md.dimensions) == dimensions]
        else:
            data = [md for md in by_name[name] if md.namespace == namespace]
        if unit:
            data = [md for md in data if md.unit == unit]
        data.sort(key=lambda md: md.timestamp)
        values, timestamps = _slot_statistics(data, stat_query["Stat"], start_time, end_time,
                                              timedelta(seconds=int(stat_query["Period"])),
                                              Statistics)
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        if query.get("ReturnData", True):
            results.append({"id": query["Id"], "label": query.get("Label") or f"{name} {stat_query['Stat']}",
                            "values": values, "timestamps": timestamps, "status_code": "Complete"})
    return results


def _slot_statistics(data: list, stat: str, start, end, delta, statistics_class):
    """Walk period slots from ``start`` (while slot start <= ``end``) over time-sorted data."""
    values, timestamps, i, slot = [], [], 0, start
    while slot <= end and i < len(data):
        slot_end = slot + delta
        j = i
        while j < len(data) and data[j].timestamp < slot_end:
            j += 1
        value = _statistic(data[i:j], stat, slot, statistics_class) if j > i else None
        if value is not None or (j > i and not _PERCENTILE.match(stat)):
            values.append(value)
            timestamps.append(slot)
        i, slot = j, slot_end
    return values, timestamps


_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?)$")


def _statistic(data: list, stat: str, slot, statistics_class):
    match = _PERCENTILE.match(stat)
    if not match:
        stats = statistics_class([stat], slot)
        stats.metric_data = data
        return stats.get_statistics_for_type(stat)
    raw = sorted(md.value for md in data if hasattr(md, "value"))
    if not raw:
        return None
    rank = math.ceil(float(match.group(1)) / 100 * len(raw))
    return raw[max(rank, 1) - 1]


def indexed_get_filtered_metrics(self, metric_name, namespace, dimensions) -> list:
    """``CloudWatchBackend.get_filtered_metrics``: each metric once, in first-seen order."""
    seen: dict[tuple, object] = {}
    for md in self.get_all_metrics():
        key = (md.namespace, md.name, tuple(sorted((d.name, d.value) for d in md.dimensions)))
        if key not in seen and md.filter(namespace=namespace, name=metric_name, dimensions=dimensions):
            seen[key] = md
    return list(seen.values())


_ORIGINAL = None


def install() -> None:
    """Replace moto's GetMetricData implementation in this process (idempotent)."""
    global _ORIGINAL
    from moto.cloudwatch.models import CloudWatchBackend

    if _ORIGINAL is None:
        _ORIGINAL = CloudWatchBackend.get_metric_data
        CloudWatchBackend.get_metric_data = indexed_get_metric_data
        CloudWatchBackend.get_filtered_metrics = indexed_get_filtered_metrics


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
