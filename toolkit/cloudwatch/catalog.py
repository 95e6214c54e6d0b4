"""What trailwatch knows about CloudWatch metrics: namespaces, statistics, units, resource ids."""

from __future__ import annotations

import json

DEFAULT_NAMESPACES = ("AWS/EC2", "AWS/RDS", "AWS/Lambda", "AWS/ApplicationELB", "AWS/ECS", "CWAgent")
DEFAULT_STATS = ("Average", "Maximum", "Minimum", "Sum", "SampleCount", "p95")

# Dimensions that name the resource, most specific first; ECS services join cluster/service.
RESOURCE_DIMENSIONS = (
    "InstanceId", "DBInstanceIdentifier", "DBClusterIdentifier", "FunctionName",
    "LoadBalancer", "LoadBalancerName", "TargetGroup", "AutoScalingGroupName", "CacheClusterId", "VolumeId",
    "TableName", "QueueName", "BucketName",
)

# Percentiles only make sense for gauges and latencies, not for counters.
PERCENTILE_METRICS = frozenset({
    "CPUUtilization", "mem_used_percent", "disk_used_percent", "MemoryUtilization",
    "Duration", "TargetResponseTime", "ReadLatency", "WriteLatency", "DatabaseConnections",
    "FreeableMemory", "IteratorAge", "ConcurrentExecutions",
})

# GetMetricData returns no unit: the documented units of the common metrics.
UNITS = {
    "CPUUtilization": "Percent", "mem_used_percent": "Percent", "disk_used_percent": "Percent",
    "MemoryUtilization": "Percent", "NetworkIn": "Bytes", "NetworkOut": "Bytes",
    "NetworkPacketsIn": "Count", "NetworkPacketsOut": "Count", "DiskReadBytes": "Bytes",
    "DiskWriteBytes": "Bytes", "StatusCheckFailed": "Count", "DatabaseConnections": "Count",
    "FreeableMemory": "Bytes", "FreeStorageSpace": "Bytes", "ReadLatency": "Seconds",
    "WriteLatency": "Seconds", "ReadIOPS": "Count/Second", "WriteIOPS": "Count/Second",
    "Invocations": "Count", "Errors": "Count", "Throttles": "Count", "Duration": "Milliseconds",
    "ConcurrentExecutions": "Count", "IteratorAge": "Milliseconds", "RequestCount": "Count",
    "TargetResponseTime": "Seconds", "HTTPCode_Target_5XX_Count": "Count",
    "HTTPCode_Target_4XX_Count": "Count", "HTTPCode_ELB_5XX_Count": "Count",
    "HTTPCode_Target_2XX_Count": "Count", "HealthyHostCount": "Count",
    "UnHealthyHostCount": "Count",
}


def is_percentile(stat: str) -> bool:
    """True for percentile statistics like ``p95`` or ``p99.9``."""
    return len(stat) > 1 and stat[0] == "p" and stat[1:].replace(".", "", 1).isdigit()


def stats_for(metric_name: str, stats: tuple[str, ...] | list[str]) -> list[str]:
    """The statistics to request for a metric: percentiles only where they apply."""
    return [s for s in stats if not is_percentile(s) or metric_name in PERCENTILE_METRICS]


def unit_for(metric_name: str, stat: str) -> str | None:
    return "Count" if stat == "SampleCount" else UNITS.get(metric_name)


def dimensions_json(dimensions: list[dict] | dict) -> str:
    """Dimensions as sorted JSON object text: the stable text form used in every table."""
    if isinstance(dimensions, list):
        dimensions = {d["Name"]: d["Value"] for d in dimensions}
    return json.dumps(dimensions, sort_keys=True, separators=(",", ":"))


def resource_id(dimensions: list[dict] | dict) -> str | None:
    """Flat resource id from a metric's dimensions (InstanceId, FunctionName, ...)."""
    if isinstance(dimensions, list):
        dimensions = {d["Name"]: d["Value"] for d in dimensions}
    if "ClusterName" in dimensions:
        service = dimensions.get("ServiceName")
        return f"{dimensions['ClusterName']}/{service}" if service else dimensions["ClusterName"]
    for name in RESOURCE_DIMENSIONS:
        if name in dimensions:
            return dimensions[name]
    return None
