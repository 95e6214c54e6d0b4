"""Forensic investigation, triggered by hand: one subject over a window, then the HTML report.

Params are validated by JSON schema before the run starts: `subject_type` picks how `subject`
is checked (IAM access key id, principal ARN, IP address, resource ARN); `start`/`end` are dates.
The investigation runs once: `investigate` writes the evidence export and tables under the
run's reports folder, and `report` renders the notebook from that saved investigation.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from toolkit.orchestration import MAX_ACTIVE_RUNS, default_args
from toolkit.sql.params import ACCESS_KEY_PATTERN

SUBJECT_SCHEMA = {
    "type": "string",
    "minLength": 7,
    "maxLength": 2048,
    # access key id (the toolkit's one pattern) | ARN | IPv4 | IPv6; the toolkit validates each
    # form strictly again.
    "pattern": "^(" + ACCESS_KEY_PATTERN.strip("^$")
               + r"|arn:aws[a-z-]*:[^\s]+|[0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)$",
}


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=MAX_ACTIVE_RUNS,
    default_args=default_args(),
    tags=["trailwatch", "forensics", "report"],
    doc_md=__doc__,
    params={
        "subject_type": Param("access_key", enum=["access_key", "principal", "ip", "resource"],
                              description="What the subject is"),
        "subject": Param("AKIAIOSFODNN7EXAMPLE", **SUBJECT_SCHEMA,
                         description="Access key id, principal ARN, IP or resource ARN"),
        "start": Param("2025-03-03", type="string", format="date", description="First day (YYYY-MM-DD)"),
        "end": Param("2025-03-09", type="string", format="date", description="Last day (YYYY-MM-DD)"),
    },
)
def forensic_investigation():
    @task
    def investigate(params=None, run_id=None) -> dict:
        from toolkit import pipeline
        from toolkit.orchestration import run_step, task_settings

        return run_step(pipeline.investigate, task_settings(), params, run_id)

    @task
    def report(investigation: dict, params=None, run_id=None) -> dict:
        from toolkit import pipeline
        from toolkit.orchestration import run_step, task_settings

        return run_step(pipeline.forensic_report, task_settings(), params, run_id,
                        investigation=investigation["out"])

    report(investigate())


forensic_investigation()
