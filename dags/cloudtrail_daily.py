"""CloudTrail daily: ingest the data interval's day, build curated models, check them, detect.

Each task reads and writes its own `dt=` partition, so re-running a day (or a backfill) changes
nothing. Yesterday is re-ingested too: CloudTrail delivers minutes to hours late, and the ingest
is idempotent, so late files land without a separate catch-up job. With the Athena engine the
first task creates the Glue tables if missing. The last task expires Iceberg snapshots older than
7 days and removes orphan files (`trailwatch lake maintain`). Configuration comes from the environment
(TRAILWATCH_*) and the Airflow connection `aws_default` (endpoint URL in its extras); both are
read inside tasks, never at parse time.
"""

from __future__ import annotations

from airflow.sdk import chain, dag

from toolkit.pipeline import daily_dag, day_task


@dag(**daily_dag("cloudtrail"), doc_md=__doc__)
def cloudtrail_daily():
    chain(*(day_task(step) for step in
            ("create_tables", "ingest", "build_models", "check_models", "detect", "maintain_lake")))


cloudtrail_daily()
