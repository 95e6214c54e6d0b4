"""CloudWatch daily: export the day's metrics, then anomaly bands, alarm replay, rightsizing.

Export uses ListMetrics + GetMetricData for the data interval's day (regions from
TRAILWATCH_METRIC_REGIONS) and replaces that day's partition; the analyses read the lake only,
so they can be re-run without API calls.
"""

from __future__ import annotations

from airflow.sdk import dag

from toolkit.pipeline import daily_dag, day_task


@dag(**daily_dag("cloudwatch"), doc_md=__doc__)
def cloudwatch_daily():
    exported = day_task("export_metrics")
    exported >> day_task("anomaly_bands") >> day_task("replay_alarms")
    exported >> day_task("rightsizing")


cloudwatch_daily()
