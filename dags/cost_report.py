"""Cost report: the cost notebook over the last 7 days (or a chosen period), weekly.

Each run keeps its report under its own path (`<lake>/reports/cost/<run_id>/`). When triggered
by hand, params `days`, or both `start` and `end` (YYYY-MM-DD), choose the period; without a
logical date the period ends on the latest complete UTC day. Params are checked before any work.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from toolkit.orchestration import MAX_ACTIVE_RUNS, default_args


@dag(
    schedule=CronDataIntervalTimetable("@weekly", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=MAX_ACTIVE_RUNS,
    default_args=default_args(),
    tags=["trailwatch", "report", "cost"],
    doc_md=__doc__,
    params={
        "days": Param(7, type="integer", minimum=1, maximum=366, description="Days up to the period end"),
        "start": Param(None, type=["null", "string"], format="date", description="Explicit start (YYYY-MM-DD)"),
        "end": Param(None, type=["null", "string"], format="date", description="Explicit end (YYYY-MM-DD)"),
    },
)
def cost_report():
    @task
    def period() -> dict:
        from toolkit.orchestration import report_period, run_step

        context = get_current_context()
        start, end = run_step(report_period, context.get("params"),
                              context.get("data_interval_end"), context["dag_run"].run_after)
        return {"start": start.isoformat(), "end": end.isoformat()}

    @task
    def render(window: dict, run_id=None) -> dict:
        from toolkit import pipeline
        from toolkit.lake import parse_day
        from toolkit.orchestration import run_step, task_settings

        return run_step(pipeline.cost_report, task_settings(), parse_day(window["start"]),
                        parse_day(window["end"]), run_id)

    render(period())


cost_report()
