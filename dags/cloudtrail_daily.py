"""CloudTrail daily: ingest a day, build curated models, check them, detect, alert.

**Which day**: a scheduled run for the interval [D, D+1) starts after D ends and processes D;
a manual run with a logical date processes the interval Airflow infers for it; a manual run
without one (Airflow 3's default for `airflow dags trigger`) processes the latest complete UTC
day; the `day` param (YYYY-MM-DD) overrides all of these. The `resolve_day` task shows it.

Each task reads and writes its own `dt=` partition, so re-running a day (or a backfill:
`airflow backfill create --dag-id cloudtrail_daily --from-date ... --to-date ...`) changes
nothing, and days run in parallel. CloudTrail delivers minutes to hours late: the ingest reads
the delivery folders D-1..D+1 once each and routes late records of D-1 into D-1. With the Athena engine the first step creates the Glue tables if missing. Throttling and
network errors are retried; contract violations and bad input fail at once. New high/critical
findings go to the alert channel (TRAILWATCH_ALERT_CHANNEL; a log line by default). The last
task expires Iceberg snapshots older than 7 days and removes orphan files (`trailwatch lake maintain`).
"""

from __future__ import annotations

from airflow.sdk import chain, dag

from toolkit.orchestration import alert_task, daily_dag, day_tasks


@dag(**daily_dag("cloudtrail"), doc_md=__doc__)
def cloudtrail_daily():
    day, steps = day_tasks("create_tables", "ingest", "build_models", "check_models", "detect",
                           "maintain_lake")
    maintain = steps.pop("maintain_lake")
    chain(*steps.values(), alert_task(day), maintain)


cloudtrail_daily()
