"""Airflow for tests: a temporary AIRFLOW_HOME with a SQLite metadata DB, set before import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    os.environ.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__UNIT_TEST_MODE="True",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
    )
    from airflow.utils import db

    db.resetdb()
    return home


@pytest.fixture(scope="session")
def dagbag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(REPO / "dags"))
