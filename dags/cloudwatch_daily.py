"""CloudWatch daily: export a day's metrics, then anomaly bands, alarm replay, rightsizing.

The day is chosen as in `cloudtrail_daily` (data interval, else the latest complete UTC day,
or the `day` param). Export uses ListMetrics + GetMetricData (regions from
TRAILWATCH_METRIC_REGIONS, namespaces from TRAILWATCH_METRIC_NAMESPACES) and replaces its rows of
that day's partition; the analyses read the lake only,
so they can be re-run without API calls. Throttling is retried; bad input is not.
"""

from __future__ import annotations

from airflow.sdk import dag

from toolkit.orchestration import daily_dag, day_tasks


@dag(**daily_dag("cloudwatch"), doc_md=__doc__)
def cloudwatch_daily():
    _, steps = day_tasks("export_metrics", "anomaly_bands", "replay_alarms", "rightsizing")
    steps["export_metrics"] >> steps["anomaly_bands"] >> steps["replay_alarms"]
    steps["export_metrics"] >> steps["rightsizing"]


cloudwatch_daily()
