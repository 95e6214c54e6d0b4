"""CloudWatch daily: export the day's metrics, then anomaly bands, alarm replay, rightsizing.

Export uses ListMetrics + GetMetricData for the data interval's day and replaces that day's
partition; the analyses read the lake only, so they can be re-run without API calls.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

DEFAULT_ARGS = {"owner": "trailwatch", "retries": 2, "retry_delay": pendulum.duration(minutes=5)}


@dag(
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["trailwatch", "cloudwatch"],
    doc_md=__doc__,
)
def cloudwatch_daily():
    @task
    def export_metrics(data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.export_metrics(pipeline.task_settings(), data_interval_start.date())

    @task
    def anomaly_bands(_exported: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.anomaly_bands(pipeline.task_settings(), data_interval_start.date())

    @task
    def replay_alarms(_bands: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.replay_alarms(pipeline.task_settings(), data_interval_start.date())

    @task
    def rightsizing(_exported: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.rightsizing(pipeline.task_settings(), data_interval_start.date())

    exported = export_metrics()
    replay_alarms(anomaly_bands(exported))
    rightsizing(exported)


cloudwatch_daily()
