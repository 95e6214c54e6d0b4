"""CloudTrail daily: ingest the data interval's day, build curated models, check them, detect.

Each task reads and writes its own `dt=` partition, so re-running a day (or a backfill) changes
nothing. Yesterday is re-ingested too: CloudTrail delivers minutes to hours late, and the ingest
is idempotent, so late files land without a separate catch-up job. Configuration comes from the
environment (TRAILWATCH_*) and the Airflow connection `aws_default` (endpoint URL in its extras);
both are read inside tasks, never at parse time.
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
    tags=["trailwatch", "cloudtrail"],
    doc_md=__doc__,
)
def cloudtrail_daily():
    @task
    def create_tables() -> dict:
        from toolkit import pipeline

        return pipeline.create_tables(pipeline.task_settings())

    @task
    def ingest(_tables: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.ingest(pipeline.task_settings(), data_interval_start.date())

    @task
    def build_models(_ingested: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.build_models(pipeline.task_settings(), data_interval_start.date())

    @task
    def check_models(built: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.check_models(pipeline.task_settings(), data_interval_start.date())

    @task
    def detect(_checked: dict, data_interval_start=None) -> dict:
        from toolkit import pipeline

        return pipeline.detect(pipeline.task_settings(), data_interval_start.date())

    detect(check_models(build_models(ingest(create_tables()))))


cloudtrail_daily()
