"""Curated models on a small lake of realistic records: contracts hold, values are right."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import sql_records as rec

from toolkit.engines import check_model
from toolkit.engines.contracts import conform
from toolkit.lake import Lake
from toolkit.sql.models import load_model, model_names

DAY = rec.DAY


def frame(engine, sql, **params):
    return engine.query(sql, {"day": DAY, **params})


@pytest.mark.parametrize("model", model_names())
def test_model_satisfies_its_contract(mini_engine, model):
    results = check_model(mini_engine, model, DAY)
    assert results and all(r.passed for r in results), [r for r in results if not r.passed]
    assert mini_engine.query(f"select count(*) from {model} where dt = :day", {"day": DAY}).item() > 0  # noqa: S608


def test_totals_add_up_to_the_events(mini_engine):
    events = frame(mini_engine, "select count(*) from events where dt = :day").item()
    for model, column in [("cur_principal_activity_daily", "calls"),
                          ("cur_logging_volume_daily", "events")]:
        total = frame(mini_engine, f"select sum({column}) from {model} where dt = :day").item()  # noqa: S608
        assert total == events, model
    errors = frame(mini_engine, "select count(*) from events where dt = :day "
                                "and error_code is not null").item()
    assert frame(mini_engine, "select sum(errors) from cur_api_errors_daily where dt = :day").item() == errors


def test_identity_sessions_follow_an_access_key_to_its_origin(mini_engine):
    rows = frame(mini_engine, "select * from cur_identity_sessions where dt = :day "
                              "and issued_access_key_id = :key", key=rec.ISSUED_KEY).to_dicts()
    assert len(rows) == 1
    row = rows[0]
    assert row["caller_principal"] == rec.USER_ARN and row["caller_access_key_id"] == rec.USER_KEY
    assert row["role_arn"] == rec.ROLE_ARN and row["role_session_name"] == "deploy-session"
    assert row["source_identity"] == "alice" and row["duration_seconds"] == 3600
    assert row["session_arn"].endswith("assumed-role/deploy/deploy-session") and row["succeeded"]
    # the issued key's own activity is attributed to the role session
    used = frame(mini_engine, "select distinct principal_arn from events where dt = :day "
                              "and access_key_id = :key", key=rec.ISSUED_KEY)
    assert used.to_series().to_list() == [row["session_arn"]]


def test_identity_sessions_cover_every_sts_credential_call(mini_engine):
    rows = frame(mini_engine, "select event_name, caller_principal, issued_access_key_id, succeeded "
                              "from cur_identity_sessions where dt = :day").to_dicts()
    by_key = {r["issued_access_key_id"]: r for r in rows}
    assert by_key["ASIAGETSESSIONTOKEN1"]["event_name"] == "GetSessionToken"
    assert by_key["ASIATGOPDG7TE557JAXG"]["caller_principal"] == "logs.amazonaws.com"  # real fixture
    denied = [r for r in rows if not r["succeeded"]]
    assert len(denied) == 1 and denied[0]["issued_access_key_id"] is None


def test_resource_changes_name_the_resources_cloudwatch_uses(mini_engine):
    rows = frame(mini_engine, "select event_name, resource_id, resource_type from "
                              "cur_resource_changes where dt = :day").to_dicts()
    got = {(r["event_name"], r["resource_id"]) for r in rows}
    assert {
        ("ModifyInstanceAttribute", "i-0abc1234def567890"),
        ("RunInstances", "i-0new0000000000001"), ("RunInstances", "i-0new0000000000002"),
        ("StopInstances", "i-0abc1234def567890"),
        ("AuthorizeSecurityGroupIngress", "sg-0123456789abcdef0"),
        ("ModifyDBInstance", "orders-db"),
        ("UpdateFunctionConfiguration20150331v2", "checkout"),
        ("ModifyLoadBalancerAttributes", "app/web/50dc6c495c0c9188"),
        ("PutBucketPolicy", "acme-data"),
        ("CreateAccessKey", "AKIANEWKEYFORBOB0001"), ("CreateAccessKey", "bob"),
        ("UpdateInstanceInformation", "i-06125b883c50e9d63"),  # real fixture (SSM agent)
    } <= got
    names = {r["event_name"] for r in rows}
    assert not names & {"DescribeInstances", "ListBuckets", "GetBucketAcl", "Decrypt", "ConsoleLogin"}


def test_console_logins(mini_engine):
    rows = frame(mini_engine, "select * from cur_console_logins where dt = :day "
                              "order by event_time").to_dicts()
    assert [(r["login_result"], r["mfa_used"], r["is_root"]) for r in rows] == [
        ("Failure", False, False), ("Success", True, False), ("Success", False, True)]
    assert rows[0]["error_message"] == "Failed authentication" and not rows[0]["succeeded"]


def test_api_error_categories(mini_engine):
    rows = frame(mini_engine, "select event_name, error_category from cur_api_errors_daily "
                              "where dt = :day").to_dicts()
    assert {(r["event_name"], r["error_category"]) for r in rows} == {
        ("AssumeRole", "access_denied"), ("ListBuckets", "access_denied"),
        ("DescribeInstances", "throttling")}


def test_logging_volume_splits_management_and_data(mini_engine):
    rows = frame(mini_engine, "select event_source, event_category, read_write, events from "
                              "cur_logging_volume_daily where dt = :day "
                              "and recipient_account_id = :acct", acct=rec.ACCOUNT).to_dicts()
    s3 = {(r["event_category"], r["read_write"]): r["events"] for r in rows
          if r["event_source"] == "s3.amazonaws.com"}
    assert s3 == {("Data", "write"): 1, ("Management", "write"): 1, ("Management", "read"): 1}


def test_rebuild_is_idempotent(mini_engine):
    lake = Lake.at(mini_engine.settings.lake)
    model = "cur_resource_changes"
    before = [pq.read_table(f) for f in lake.files(f"curated/{model}", DAY)]
    mini_engine.run_model(model, DAY)
    after = [pq.read_table(f) for f in lake.files(f"curated/{model}", DAY)]
    assert len(before) == len(after) == 1 and before[0].equals(after[0])


def test_written_parquet_has_the_contract_schema(mini_engine):
    lake = Lake.at(mini_engine.settings.lake)
    for model in model_names():
        (path,) = lake.files(f"curated/{model}", DAY)
        assert pq.read_schema(path).remove_metadata() == load_model(model).arrow_schema()


def test_contract_checks_can_fail(tmp_path, mini_engine):
    """A partition that breaks the grain and an accepted value is reported, check by check."""
    from toolkit.config import Settings
    from toolkit.engines import connect

    model = load_model("cur_api_errors_daily")
    table = pq.read_table(Lake.at(mini_engine.settings.lake).files(f"curated/{model.name}", DAY)[0])
    bad = table.set_column(table.schema.get_field_index("error_category"), "error_category",
                           [["nonsense"] * table.num_rows])
    import pyarrow as pa

    broken = pa.concat_tables([bad, bad])  # every key twice
    lake = str(tmp_path)
    Lake.at(lake).write_parquet(f"curated/{model.name}", DAY, broken)
    engine = connect(Settings(lake=lake))
    failed = {r.check: r.failures for r in check_model(engine, model.name, DAY) if not r.passed}
    assert failed == {
        f"unique({', '.join(model.keys)})": table.num_rows,
        "accepted_values(error_category)": 2 * table.num_rows,
    }


def test_conform_rejects_columns_the_contract_does_not_declare():
    import pyarrow as pa

    model = load_model("cur_console_logins")
    with pytest.raises(ValueError, match="contract declares"):
        conform(model, pa.table({"event_id": ["x"]}))
