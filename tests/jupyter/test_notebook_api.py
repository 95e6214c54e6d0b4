"""The notebook-facing API: named queries from Python, integer sums, offline charts, kernels."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import altair as alt
import polars as pl
import pytest

import toolkit.queries as q
from toolkit.jupyter.offline import offline, offline_html

DAY = "2025-03-04"
KEY = "AKIAIOSFODNN7EXAMPLE"


def _records(n: int) -> list[dict]:
    return [{
        "eventVersion": "1.09", "eventTime": f"{DAY}T10:{i % 60:02d}:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": ("DescribeInstances", "RunInstances")[i % 2],
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2",
        "eventID": f"{DAY}-{i:06d}", "eventType": "AwsApiCall", "readOnly": i % 2 == 0,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice",
                         "accountId": "123456789012", "accessKeyId": KEY,
                         "principalId": "AIDAEXAMPLE", "userName": "alice"},
    } for i in range(n)]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> str:
    from toolkit.cloudtrail import events_from_records
    from toolkit.lake import Lake

    root = str(tmp_path_factory.mktemp("lake"))
    Lake.at(root).write_parquet("events", DAY, events_from_records(_records(25)))
    return root


def test_run_a_named_query_with_typed_values(lake):
    frame = q.run("events_for_access_key", lake=lake, access_key=KEY, start=DAY, end=DAY)
    assert frame.height == 25 and set(frame["access_key_id"]) == {KEY}
    same = q.events_for_access_key(lake=lake, access_key=KEY, start=DAY, end=DAY)
    assert same.equals(frame)
    with pytest.raises(ValueError, match="access_key_id"):
        q.run("events_for_access_key", lake=lake, access_key="x' or 1=1 --", start=DAY, end=DAY)
    with pytest.raises(ValueError, match="missing parameter end"):
        q.run("events_for_access_key", lake=lake, access_key=KEY, start=DAY)


def test_each_query_documents_its_parameters():
    from toolkit.sql.queries import load_query

    assert set(q.names()) <= set(dir(q))
    for name in q.names():
        function = getattr(q, name)
        params = load_query(name).params
        assert all(f"    {p} (" in function.__doc__ for p in params), name
        assert set(params) <= set(inspect.signature(function).parameters), name
        if "end" in params:  # a YAML flow mapping once cut this at the comma
            assert "end (date): last day (YYYY-MM-DD), inclusive" in function.__doc__, name
    with pytest.raises(AttributeError, match="no query"):
        q.no_such_query  # noqa: B018


def test_integer_aggregates_are_int64_on_duckdb(lake):
    from toolkit.engines import connect

    frame = connect(lake=lake).query(
        "select event_name, sum(case when read_only then 1 else 0 end) as reads, count(*) as n "
        "from events where dt = :day group by event_name order by event_name", {"day": DAY})
    assert frame.schema["reads"] == pl.Int64 and frame.schema["n"] == pl.Int64
    assert json.loads(frame.write_json()) == [
        {"event_name": "DescribeInstances", "reads": 13, "n": 13},
        {"event_name": "RunInstances", "reads": 0, "n": 12}]


def test_integer_aggregates_are_int64_on_mocked_athena(moto_reset, monkeypatch):
    """Mocked Athena execution (moto returns canned rows typed as Athena types a sum(bigint)):
    the engine gives Int64, like DuckDB after its cast."""
    import urllib.request

    import boto3

    from toolkit.config import Settings
    from toolkit.engines.athena import AthenaEngine

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    boto3.client("s3", endpoint_url=moto_reset).create_bucket(Bucket="int-results")
    info = [{"Name": n, "Label": n, "Type": t, "Nullable": "UNKNOWN", "Precision": 19 if t == "bigint" else 0,
             "Scale": 0, "CaseSensitive": True} for n, t in (("event_name", "varchar"), ("n", "bigint"))]
    rows = [{"Data": [{"VarCharValue": v} for v in r]} for r in (["event_name", "n"], ["RunInstances", "12"])]
    body = json.dumps({"results": [{"rows": rows, "column_info": info}]}).encode()
    urllib.request.urlopen(urllib.request.Request(
        moto_reset + "/moto-api/static/athena/query-results", data=body, method="POST",
        headers={"Content-Type": "application/json"}), timeout=5)
    engine = AthenaEngine(Settings(lake="s3://int-results/lake", engine="athena", endpoint_url=moto_reset,
                                   athena_output="s3://int-results/athena/"), poll_interval=0.01)
    try:
        frame = engine.query("select event_name, count(*) as n from events group by 1", allow_scan=True)
    finally:
        engine.close()
    assert frame.schema["n"] == pl.Int64 and frame.to_dicts() == [{"event_name": "RunInstances", "n": 12}]


def _chart():
    return alt.Chart(pl.DataFrame({"name": ["a", "b"], "n": [3, 1]})).mark_bar().encode(x="n:Q", y="name:N")


def test_offline_chart_carries_its_javascript_and_changes_nothing_global():
    before = alt.renderers.active
    chart = offline(_chart())
    copy = chart.properties(width=300)
    bundle = copy._repr_mimebundle_()
    html = bundle["text/html"]
    assert "vegaEmbed(el" in html and len(html) > 500_000  # vega inside, not from a CDN
    assert "cdn.jsdelivr" not in html and "esm.sh" not in html and "src=\"http" not in html
    assert '"width": 300' in html
    assert alt.renderers.active == before
    plain = _chart()._repr_mimebundle_()  # other charts: altair's own renderer, untouched
    assert plain is None or "trailwatch-chart" not in json.dumps(plain, default=str)
    assert offline_html(chart).count("trailwatch-chart") == 1


def test_kernel_install_user_and_report_fallback(tmp_path, monkeypatch):
    """`trailwatch kernel install --user` writes a kernelspec running this interpreter; with
    no kernel installed, reports run on this interpreter."""
    from toolkit.jupyter import kernel

    env = {"JUPYTER_DATA_DIR": str(tmp_path / "user-data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "toolkit", "kernel", "install", "--user",
                           "--name", "tw-test"], capture_output=True, text=True,
                          env={**dict(__import__("os").environ), **env})
    assert done.returncode == 0, done.stderr
    spec = json.loads((tmp_path / "user-data" / "kernels" / "tw-test" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    monkeypatch.setattr(kernel, "kernel_installed", lambda name=kernel.KERNEL_NAME: False)
    chosen = kernel.report_kernel()
    manager = chosen["kernel_manager_class"]()
    assert manager.kernel_spec.argv[0] == sys.executable
    with pytest.raises(FileNotFoundError, match="not installed"):
        kernel.report_kernel("some-other-kernel")


def test_toolkit_chart_builders_display_offline_by_default():
    from toolkit.charts import empty_chart

    chart = empty_chart("No findings", "nothing fired on 2025-03-04")
    assert "vegaEmbed(el" in chart._repr_mimebundle_()["text/html"]
    with alt.renderers.enable("png"):  # what the reports choose: still honoured
        bundle = chart._repr_mimebundle_()
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        assert "image/png" in bundle and "text/html" not in bundle


def test_enable_is_an_explicit_kernel_wide_opt_in():
    from toolkit.jupyter.offline import RENDERER, enable

    before = alt.renderers.active
    try:
        enable()
        assert alt.renderers.active == RENDERER
        bundle = _chart()._repr_mimebundle_()
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        assert "vegaEmbed(el" in bundle["text/html"]
    finally:
        alt.renderers.enable(before)
