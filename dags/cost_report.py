"""Cost report: run the cost notebook over the last 7 days (or a chosen period) weekly.

Each run keeps its report under its own path (`<lake>/reports/cost/<run_id>/`); params
`days` or `start`/`end` choose the period when triggered by hand.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from toolkit.pipeline import DEFAULT_ARGS


@dag(
    schedule=CronDataIntervalTimetable("@weekly", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["trailwatch", "report", "cost"],
    doc_md=__doc__,
    params={
        "days": Param(7, type="integer", minimum=1, maximum=366, description="Days before the interval end"),
        "start": Param(None, type=["null", "string"], format="date", description="Explicit start (YYYY-MM-DD)"),
        "end": Param(None, type=["null", "string"], format="date", description="Explicit end (YYYY-MM-DD)"),
    },
)
def cost_report():
    @task
    def render(params=None, data_interval_end=None, run_id=None) -> dict:
        from toolkit import pipeline

        start, end = pipeline.report_period(params, data_interval_end.date())
        return pipeline.cost_report(pipeline.task_settings(), start, end, run_id)

    render()


cost_report()
