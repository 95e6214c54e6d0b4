"""Run the project's DAGs through Airflow itself for a range of days (used by the demo).

Invoked as a subprocess with AIRFLOW_HOME, TRAILWATCH_* and AIRFLOW_CONN_AWS_DEFAULT already in
the environment: migrates the SQLite metadata DB, then runs ``dag.test()`` per DAG and day — the
same executor path a scheduler would take, in one process. Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from toolkit.lake import day_range


def run(dag_id: str, *, day: dt.date | None = None, conf: dict | None = None) -> dict:
    """One DAG run; a daily interval ``day`` runs after it ends (at day+1 00:00 UTC)."""
    import pendulum

    dag = _dagbag().dags[dag_id]
    kwargs = {"run_conf": conf} if conf else {}
    if day is not None:
        # dag.test infers the manual interval ending at logical_date: [day, day+1)
        kwargs["logical_date"] = pendulum.datetime(day.year, day.month, day.day, tz="UTC").add(days=1)
    dag_run = dag.test(**kwargs)
    failed = [ti.task_id for ti in dag_run.get_task_instances() if ti.state != "success"]
    return {"dag_id": dag_id, "day": day.isoformat() if day else None,
            "state": str(dag_run.state), "failed_tasks": failed}


_BAG = None


def _dagbag():
    global _BAG
    if _BAG is None:
        from airflow.configuration import conf
        from airflow.dag_processing.dagbag import DagBag

        _BAG = DagBag(conf.get("core", "dags_folder"))
        if _BAG.import_errors:
            raise RuntimeError(f"DAG import errors: {_BAG.import_errors}")
    return _BAG


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--forensic-conf", default=None, help="JSON params for forensic_investigation")
    args = parser.parse_args(argv)
    from airflow.utils import db

    db.resetdb()
    days = day_range(args.start, args.end)
    runs = []
    for day in days:
        for dag_id in ("cloudtrail_daily", "cloudwatch_daily"):
            runs.append(run(dag_id, day=day))
            print(json.dumps(runs[-1]), flush=True)
    runs.append(run("cost_report", conf={"start": args.start, "end": args.end}))
    print(json.dumps(runs[-1]), flush=True)
    if args.forensic_conf:
        runs.append(run("forensic_investigation", conf=json.loads(args.forensic_conf)))
        print(json.dumps(runs[-1]), flush=True)
    return 0 if all(r["state"].endswith("success") for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
