"""Foundation contracts: layout, environment.yml in sync, CLI verbs, settings, lake I/O."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from toolkit.config import Settings
from toolkit.lake import Lake, day_range, parse_day

VERBS = ("sample", "ingest", "export", "verify", "build", "query", "metrics", "alarms",
         "rules", "detect", "investigate", "report", "demo")


def test_layout(repo_root):
    for name in ("dags", "notebooks", "toolkit", "sql", "tests", "benchmarks", "environment.yml",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (repo_root / name).exists(), name


def _requirement_names(reqs):
    return {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower(): r for r in reqs}


def test_environment_yml_in_sync_with_pyproject(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [r for r in pip if not r.startswith("-e")]
    assert sorted(listed) == sorted(wanted), "environment.yml pip list differs from pyproject"
    assert any(r.startswith("-e .") for r in pip)


def test_s3fs_is_modern():
    """A bare resolve can pick s3fs 0.4 (2020); the floor in pyproject must have held."""
    from importlib.metadata import version

    assert int(version("s3fs").split(".")[0]) >= 2026


def test_help_lists_every_verb():
    out = subprocess.run([sys.executable, "-m", "toolkit", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for verb in VERBS:
        assert re.search(rf"\b{verb}\b", out), f"verb {verb} missing from --help"


def test_import_is_light():
    code = ("import sys, toolkit, toolkit.cli, toolkit.config, toolkit.lake; "
            "heavy = {'polars', 'duckdb', 'pyarrow', 'boto3', 'airflow'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_settings_from_env_and_overrides():
    s = Settings.from_env({"TRAILWATCH_LAKE": "s3://b/lake", "TRAILWATCH_ENGINE": "athena",
                           "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_REGION": "eu-west-1"},
                          lake="/tmp/other", engine=None)
    assert (s.lake, s.engine, s.endpoint_url, s.region) == ("/tmp/other", "athena",
                                                            "http://127.0.0.1:5000", "eu-west-1")
    with pytest.raises(ValueError, match="TRAILWATCH_ENGINE"):
        Settings.from_env({"TRAILWATCH_ENGINE": "spark"})
    metrics = Settings.from_env({"TRAILWATCH_METRIC_REGIONS": "us-east-1, eu-west-1",
                                 "TRAILWATCH_METRIC_NAMESPACES": "AWS/RDS,,CWAgent "})
    assert metrics.metric_regions == ("us-east-1", "eu-west-1")
    assert metrics.metric_namespaces == ("AWS/RDS", "CWAgent")
    assert Settings.from_env({}).metric_namespaces == ()  # the exporter's defaults


def test_dates():
    assert [d.isoformat() for d in day_range("2025-02-27", "2025-03-01")] == [
        "2025-02-27", "2025-02-28", "2025-03-01"]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day("03/01/2025")


def _table(n):
    return pa.table({"x": list(range(n))})


def test_partition_replace_is_atomic_and_idempotent(tmp_path):
    lake = Lake.at(f"file://{tmp_path}")
    url = lake.write_parquet("findings", "2025-03-01", _table(3))
    assert url.endswith("findings/dt=2025-03-01")
    lake.write_parquet("findings", "2025-03-01", _table(5))
    files = lake.files("findings", "2025-03-01")
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 5
    # A failure while staging leaves the previous partition untouched.
    with pytest.raises(RuntimeError):
        with lake.replacing_partition("findings", "2025-03-01") as staging:
            pq.write_table(_table(1), f"{staging}/part-0.parquet")
            raise RuntimeError("killed mid-write")
    assert pq.read_table(lake.files("findings", "2025-03-01")[0]).num_rows == 5
    assert not (tmp_path / "findings" / "_staging").exists()


def test_partition_replace_on_s3(moto_reset):
    import boto3

    boto3.client("s3", endpoint_url=moto_reset).create_bucket(Bucket="lake")
    lake = Lake.at("s3://lake/prod", endpoint_url=moto_reset)
    lake.write_parquet("findings", "2025-03-01", _table(3))
    lake.write_parquet("findings", "2025-03-01", _table(4))
    files = lake.files("findings", "2025-03-01")
    assert len(files) == 1 and files[0].startswith("s3://lake/prod/findings/dt=2025-03-01/")
    with lake.fs.open(files[0], "rb") as fh:
        assert pq.read_table(fh).num_rows == 4
