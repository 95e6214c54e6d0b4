"""`-v` shows trailwatch's own debug logs and tracebacks, never third-party wire logs or secrets.

A failing command runs against moto's S3 server (real signed HTTP requests) with sentinel
credentials in the environment and in an Airflow-connection URL; every output is searched for them.
A control run with naive logging (root logger at DEBUG) shows the search would find the leak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.cli.conftest import DAYS, REPO, run_cli

ACCESS_KEY = "AKIASENTINEL7QZ4XW2M"
SECRET = "sentinel-secret-2f9c1d8e7b6a5f4e3d2c1b0a"
TOKEN = "sentinel-session-token-FwoGZXIvYXdzEJr//////////wEaDN8sentinel"
URL_PASSWORD = "sentinel-url-password-91b2c3"


@pytest.fixture
def sentinel_env(moto_reset, tmp_path) -> dict[str, str]:
    boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1").create_bucket(Bucket="trail")
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN,
        "AWS_ENDPOINT_URL": moto_reset, "AWS_MAX_ATTEMPTS": "1",
        "AIRFLOW_CONN_AWS_DEFAULT": f"aws://{ACCESS_KEY}:{URL_PASSWORD}@/?region_name=us-east-1"
                                    f"&endpoint_url={moto_reset}",
        "HOME": str(tmp_path),
    }


def _leaks(text: str) -> list[str]:
    return [s for s in (ACCESS_KEY, SECRET, TOKEN, URL_PASSWORD) if s in text]


def test_naive_debug_logging_would_leak_the_token(sentinel_env):
    """Control: botocore at DEBUG prints the signed headers, session token included."""
    code = ("import logging, boto3; logging.basicConfig(level=logging.DEBUG); "
            "boto3.client('s3').list_objects_v2(Bucket='trail')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**sentinel_env, "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert TOKEN in done.stderr and ACCESS_KEY in done.stderr


@pytest.mark.parametrize("argv", [
    ["-v", "query", "--lake", "s3://trail/lake", "--sql", "select 1", "--json-logs"],
    ["ingest", "-v", "--raw", "s3://trail/raw", "--lake", "s3://trail/lake", "--date", DAYS[0]],
    ["--json-logs", "detect", "--lake", "s3://trail/missing", "--date", DAYS[0], "-v"],
])
def test_failing_commands_never_print_secrets(argv, sentinel_env, tmp_path):
    done = run_cli(*argv, env=sentinel_env, cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr  # -v did show trailwatch's detail
    assert "botocore" not in done.stderr and "urllib3" not in done.stderr
    written = [p.read_text(errors="replace") for p in Path(tmp_path).rglob("*") if p.is_file()]
    for output in (done.stdout, done.stderr, *written):
        assert _leaks(output) == []


def test_json_logs_are_one_object_per_line_with_the_traceback(sentinel_env, tmp_path):
    done = run_cli("query", "--lake", "s3://trail/lake", "--sql", "select 1", "-v", "--json-logs",
                   env=sentinel_env, cwd=tmp_path)
    assert done.returncode == 2
    records = [json.loads(line) for line in done.stderr.splitlines()
               if line.startswith("{")]
    assert records and {"time", "level", "logger", "message"} <= set(records[0])
    assert any("traceback" in r and "NotALakeError" in r["traceback"] for r in records)
    assert done.stderr.splitlines()[-1].startswith("trailwatch query: error: no lake at s3://trail/lake")


def test_redact_masks_secret_env_values_and_url_passwords(monkeypatch):
    from toolkit.logsetup import redact

    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", f"aws://{ACCESS_KEY}:{URL_PASSWORD}@/")
    text = redact(f"token={TOKEN} conn=postgresql://user:{URL_PASSWORD}@db/x")
    assert _leaks(text) == [] and "postgresql://user:***@db/x" in text


def test_v_in_any_position_and_library_loggers_stay_quiet():
    import logging

    from toolkit.cli import main, split_global_flags

    assert split_global_flags(["query", "--list", "-v", "--json-logs"]) == (
        ["query", "--list"], {"verbose": True, "json_logs": True})
    assert split_global_flags(["query", "--sql", "x", "--", "-v"])[0][-1] == "-v"
    assert main(["query", "--list", "-v"]) == 0
    assert logging.getLogger("toolkit").level == logging.DEBUG
    for name in ("botocore", "urllib3", "s3fs", "aiobotocore", "pyathena", "airflow"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    assert main(["-v", "query", "--list"]) == 0
    assert REPO.is_dir()
