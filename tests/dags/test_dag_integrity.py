"""Every DAG imports cleanly, does no lookups at parse time, and follows the policy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_IDS = {"cloudtrail_daily", "cloudwatch_daily", "cost_report", "forensic_investigation"}


def test_every_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == DAG_IDS
    for dag_id, dag in dagbag.dags.items():
        assert Path(dag.fileloc).stem == dag_id, "file name must equal dag_id"


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_policy(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags and "trailwatch" in dag.tags
    assert dag.doc_md, "the DAG docstring is its documentation"
    for t in dag.tasks:
        assert t.owner == "trailwatch"
        assert t.retries is not None
    if dag.schedule is not None or dag_id.endswith("_daily"):
        assert all(t.retries >= 1 for t in dag.tasks), "scheduled DAGs retry (transient errors)"
    assert dag.max_active_runs >= 2, "days run in parallel"
    from toolkit.notify import FailureNotifier

    for t in dag.tasks:
        callbacks = t.on_failure_callback if isinstance(t.on_failure_callback, list) else [
            t.on_failure_callback]
        assert any(isinstance(c, FailureNotifier) for c in callbacks), t.task_id


def test_parse_does_no_lookups_and_imports_nothing_heavy(airflow_home):
    """Parsing with connections/variables made unreachable still works and stays light."""
    code = f"""
import sys
from airflow.sdk import BaseHook, Variable
def boom(*a, **k):
    raise AssertionError("lookup at parse time")
BaseHook.get_connection = classmethod(boom)
Variable.get = staticmethod(boom)
from airflow.dag_processing.dagbag import DagBag
bag = DagBag({str(REPO / 'dags')!r})
assert bag.import_errors == {{}}, bag.import_errors
heavy = {{'polars', 'duckdb', 'pyarrow', 'boto3', 'papermill', 'altair'}} & set(sys.modules)
print(sorted(heavy))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_alarm_replay_waits_for_the_previous_day(dagbag):
    """Runs may overlap (max_active_runs > 1), but alarm replay resumes day D-1's checkpointed
    state, so that one step waits for the previous run's replay; the others run in parallel."""
    dag = dagbag.dags["cloudwatch_daily"]
    assert dag.max_active_runs >= 2
    chained = {t.task_id for t in dag.tasks if t.depends_on_past}
    assert chained == {"replay_alarms"}


def test_forensic_subject_schema_uses_the_toolkit_access_key_pattern(dagbag):
    """The DAG's param schema derives from toolkit.sql.params (AWS-documented lengths and
    prefixes: see tests/sql/test_access_key_id.py); a key it lets through, the toolkit accepts."""
    import jsonschema

    from tests.sql.test_access_key_id import INVALID, VALID

    schema = dagbag.dags["forensic_investigation"].params.get_param("subject").schema
    for value in VALID:
        jsonschema.validate(value, schema)
    for value in INVALID:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(value, schema)
