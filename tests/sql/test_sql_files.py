"""Every SQL file parses as Athena SQL, uses parameters the way Athena allows, and loads."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from toolkit.sql.bind import bind, placeholder_names, to_positional
from toolkit.sql.ddl import ddl_files, render_ddl
from toolkit.sql.files import sql_dir
from toolkit.sql.models import load_model, model_names
from toolkit.sql.params import PARAM_TYPES, Param
from toolkit.sql.queries import bound_query, load_query, query_names
from toolkit.sql.readonly import ensure_read_only
from toolkit.sql.render import render_deployment

MODELS = model_names()
QUERIES = query_names()


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="athena")


@pytest.mark.parametrize("table", sorted(ddl_files()))
def test_ddl_parses_as_athena(table):
    ddl = render_ddl(table, database="trailwatch", lake="s3://bucket/lake",
                              raw="s3://bucket/raw")
    assert isinstance(_parse(ddl), exp.Create)
    assert "{{" not in ddl


@pytest.mark.parametrize("name", MODELS)
def test_model_parses_and_has_a_contract(name):
    model = load_model(name)
    tree = _parse(model.sql)
    assert isinstance(tree, exp.Select)
    assert tree.sql(dialect="athena")
    names = [c for c, _ in model.columns]
    assert len(names) == len(set(names))
    assert model.contract["grain"] and model.keys
    # jaffle-shop style: the statement ends with `select * from final`
    assert model.sql.strip().splitlines()[-1].strip() == "select * from final"


@pytest.mark.parametrize("path", [f"models/{m}" for m in MODELS] + [f"queries/{q}" for q in QUERIES])
def test_parameters_only_in_where_clauses(path):
    """Athena accepts execution parameters only in WHERE clauses."""
    kind, name = path.split("/")
    sql = load_model(name).sql if kind == "models" else load_query(name).sql
    placeholders = list(_parse(sql).find_all(exp.Placeholder))
    assert placeholders
    for node in placeholders:
        assert node.find_ancestor(exp.Where) is not None, f":{node.this} outside WHERE in {path}"


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_declares_typed_params(name):
    query = load_query(name)
    assert query.description
    assert set(query.params) == set(placeholder_names(query.sql))
    assert all(p.type in PARAM_TYPES for p in query.params.values())


def test_to_positional_skips_strings_comments_and_repeats_names():
    sql = ("select ':not' as a, \"x:y\" -- :comment\n/* :block */ from t "
           "where a = :a and b between :a and :b and c = '10:00:00'")
    positional, names = to_positional(sql)
    assert names == ["a", "a", "b"]
    assert positional.count("?") == 3 and "':not'" in positional and "'10:00:00'" in positional
    with pytest.raises(ValueError, match=":name"):
        to_positional("select 1 where a = ?")


def test_bind_requires_every_value():
    assert bind("select 1 where a = :a", {"a": 1}) == ("select 1 where a = ?", [1])
    with pytest.raises(ValueError, match="missing value"):
        bind("select 1 where a = :a and b = :b", {"a": 1})


@pytest.mark.parametrize("values", [
    {"database": "x; drop table y", "lake": "s3://b/l"},
    {"database": "db", "lake": "s3://b/l' or '1"},
])
def test_templates_refuse_unsafe_deployment_values(values):
    with pytest.raises(ValueError, match="unsafe"):
        render_deployment("{{ database }} {{ lake }}", values)


def test_template_needs_every_value():
    with pytest.raises(ValueError, match="raw"):
        render_deployment("location '{{ raw }}'", {"database": "db", "raw": None})


@pytest.mark.parametrize("kind,value,expected", [
    ("date", "2025-03-06", "2025-03-06"),
    ("int", "5", 5),
    ("bool", "yes", True),
    ("timestamp", "2025-03-06T10:00:00+01:00", "2025-03-06T09:00:00.000Z"),
    ("ip", "203.0.113.10", "203.0.113.10"),
    ("arn", "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
    ("access_key_id", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
])
def test_param_types_convert(kind, value, expected):
    assert Param("p", kind).coerce(value) == expected


@pytest.mark.parametrize("kind,value", [
    ("date", "2025-13-01"), ("int", "5; drop"), ("ip", "' OR 1=1 --"),
    ("arn", "' OR 1=1 --"), ("access_key_id", "akia' or 1=1"), ("account_id", "12345"),
])
def test_param_types_reject_bad_values(kind, value):
    with pytest.raises(ValueError, match=f"parameter p \\({kind}\\)"):
        Param("p", kind).coerce(value)


def test_named_query_parameter_errors_are_clear():
    query = load_query("events_for_principal")
    with pytest.raises(ValueError, match="missing parameter principal"):
        query.coerce_params({"start": "2025-03-01", "end": "2025-03-02"})
    with pytest.raises(ValueError, match="unknown parameter"):
        query.coerce_params({"bogus": "1"})


@pytest.mark.parametrize("sql", ["drop table events", "select 1; select 2",
                                 "insert into events select * from events"])
def test_ad_hoc_sql_must_be_one_read_only_query(sql):
    with pytest.raises(ValueError):
        ensure_read_only(sql)


def test_events_for_queries_share_one_base_with_their_own_condition():
    """The four events_for_* queries are one base query filled per subject, not four copies."""
    subjects = {"events_for_access_key": "access_key", "events_for_ip": "ip",
                "events_for_principal": "principal", "events_for_resource": "resource"}
    bodies = {}
    for name, param in subjects.items():
        query = load_query(name)
        assert list(query.params) == [param, "start", "end"], name
        assert query.params["start"].type == "date" and query.description
        assert "{{" not in query.sql
        bodies[name] = query.sql.split("where")[0]
    assert len({b.replace(",\n        request_parameters", "") for b in bodies.values()}) == 1
    assert "request_parameters" in bodies["events_for_resource"]
    assert not (sql_dir() / "queries" / "events_for_ip.sql").exists()


def test_renderer_is_strict_and_a_base_query_needs_every_hole_filled(tmp_path, monkeypatch):
    from toolkit.sql.render import render

    assert render("a {{ x }} b", {"x": "1"}) == "a 1 b"
    with pytest.raises(ValueError, match="needs a value for {{ y }}"):
        render("{{ x }} {{ y }}", {"x": "1"})
    queries = tmp_path / "queries"
    (queries / "base").mkdir(parents=True)
    (queries / "base" / "b.sql").write_text("select 1 from events where {{ cond }}")
    (queries / "base" / "b.yml").write_text("params: {}\n")
    (queries / "q.yml").write_text("description: d\nbase: b\nparams: {}\n")
    monkeypatch.setenv("TRAILWATCH_SQL_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"q.yml: base b: template needs a value for \{\{ cond \}\}"):
        load_query("q")
    (queries / "q.yml").write_text("description: d\nbase: b\nfill: {cond: 'dt = :day'}\n"
                                   "params: {day: {type: date}}\n")
    assert load_query("q").sql == "select 1 from events where dt = :day"


# Every package query (sql/queries/<folder>/) with each fill its callers use.
FORENSIC_SUBJECTS = ["subject_access_key", "subject_ip", "subject_principal", "subject_resource"]
FOLDER_FILLS = {
    "forensics/subject_events": [{"subject_condition": f}
                                 for f in FORENSIC_SUBJECTS + ["signed_by_keys"]],
    "forensics/baseline_usage": [{"subject_condition": f} for f in FORENSIC_SUBJECTS],
    "forensics/baseline_activity": [{"subject_condition": f} for f in FORENSIC_SUBJECTS],
    "forensics/credential_issuance": [{"direction": "issued_by"}, {"direction": "issuer_of"}],
    "forensics/credential_activity": [{}],
    "forensics/change_impact_pairs": [{}],
    "forensics/metric_series": [{}],
    "forensics/change_markers": [{}],
    "pipeline/alert_findings": [{}],
}
FOLDER_CASES = [(name, fill) for name, fills in FOLDER_FILLS.items() for fill in fills]


def test_every_package_query_is_checked_here():
    folders = [p for p in (sql_dir() / "queries").iterdir() if p.is_dir() and p.name != "base"]
    on_disk = {f"{folder.name}/{p.stem}" for folder in folders for p in folder.glob("*.yml")
               if p.stem != "fragments"}
    assert on_disk == set(FOLDER_FILLS)
    assert not set(QUERIES) & {n.split("/")[1] for n in on_disk}  # not listed for analysts


@pytest.mark.parametrize("name,fill", FOLDER_CASES, ids=[f"{n}-{'-'.join(f.values())}" for n, f in FOLDER_CASES])
def test_package_query_parses_as_athena_and_trino_with_parameters_in_where(name, fill):
    query = load_query(name, fill=fill)
    assert query.description and "{{" not in query.sql
    assert set(query.params) == set(placeholder_names(query.sql))
    for dialect in ("athena", "trino"):
        tree = sqlglot.parse_one(query.sql, read=dialect)
        assert isinstance(tree, exp.Query)
        for node in tree.find_all(exp.Placeholder):  # Athena binds only in WHERE clauses
            assert node.find_ancestor(exp.Where) is not None, f":{node.this} outside WHERE in {name}"
    # staging/curated models, never the raw events table: concepts are not re-derived
    tables = {t.name for t in sqlglot.parse_one(query.sql, read="athena").find_all(exp.Table)}
    assert "events" not in tables, name


def test_package_query_holes_take_named_fragments_only():
    with pytest.raises(ValueError, match="holes"):
        load_query("forensics/subject_events")
    with pytest.raises(ValueError, match="no fragment 'access_key_id = 1'"):
        load_query("forensics/subject_events", fill={"subject_condition": "access_key_id = 1"})
    with pytest.raises(ValueError, match="unknown query"):
        load_query("forensics/../changes_to_resource")
    with pytest.raises(ValueError, match="unknown query"):
        load_query("base/events_for_subject")


def test_list_parameters_bind_one_placeholder_per_value():
    sql, values = bound_query("forensics/credential_activity", start="2025-03-01", end="2025-03-02",
                              keys=["AKIA1", "AKIA2"], arns=[], roles=["r'"], sids=[])
    assert "access_key_id in (:keys__0, :keys__1)" in sql and "principal_arn in (null)" in sql
    assert "session_issuer_arn in (:roles__0)" in sql and "r'" not in sql
    assert values == {"start": "2025-03-01", "end": "2025-03-02", "keys__0": "AKIA1",
                      "keys__1": "AKIA2", "roles__0": "r'"}
    assert bind(sql, values)[1] == ["2025-03-01", "2025-03-02", "AKIA1", "AKIA2", "r'"]
    with pytest.raises(ValueError, match="expected a list"):
        bound_query("forensics/credential_activity", start="2025-03-01", end="2025-03-02",
                    keys="AKIA1", arns=[], roles=[], sids=[])


def test_no_sql_text_in_forensics_or_pipeline_python():
    """Their SQL lives in sql/queries/forensics|pipeline/, not in Python string constants."""
    import ast
    import re

    pattern = re.compile(r"\bselect\b[\s\S]*\bfrom\b|\bwhere\b\s+\w+\s*(=|in\b)", re.I)
    package = sql_dir().parent / "toolkit"
    for path in sorted([*(package / "forensics").glob("*.py"), package / "pipeline.py"]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not (pattern.search(node.value) and ":" in node.value), (path, node.value[:80])


@pytest.mark.parametrize("value,resource_id", [
    ("arn:aws:ec2:us-east-1:111122223333:instance/i-0ab", "i-0ab"),
    ("arn:aws:s3:::bucket", "bucket"),
    ("arn:aws:s3:::bucket/a/b.csv", "bucket/a/b.csv"),
    ("arn:aws:lambda:us-east-1:111122223333:function:orders", "orders"),
    ("arn:aws:rds:us-east-1:111122223333:db:orders-db", "orders-db"),
    ("arn:aws:iam::111122223333:role/service-role/deploy", "service-role/deploy"),
    ("arn:aws:iam::111122223333:root", "root"),
    ("arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188",
     "app/web/50dc6c495c0c9188"),
    ("arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/73e2d6bc24d8a067",
     "targetgroup/web/73e2d6bc24d8a067"),
    ("i-0abc1234def567890", "i-0abc1234def567890"),
])
def test_the_canonical_resource_id_is_one_fragment_for_the_view_and_the_subject(value, resource_id):
    """stg_event_resources and the resource subject condition fill the same fragment."""
    import duckdb

    from toolkit.engines.staging import view_sql
    from toolkit.sql.dialect import to_duckdb
    from toolkit.sql.fragments import fragment

    prefix = fragment("resource_id_arn_prefix").sql
    assert f"regexp_replace(raw_value, {prefix}, '')" in view_sql("stg_event_resources")
    assert f"regexp_replace(:resource, {prefix}, '')" in fragment("subject_resource").sql
    sql = to_duckdb(f"select regexp_replace(?, {prefix}, '')")
    assert duckdb.connect().execute(sql, [value]).fetchone()[0] == resource_id


def test_a_view_takes_only_fragments_that_bind_nothing():
    from toolkit.sql.fragments import fill_view

    with pytest.raises(ValueError, match="subject_ip bind parameters"):
        fill_view("select * from stg_events where {{ subject_ip }}", "v")
    with pytest.raises(ValueError, match="no fragment 'nope'"):
        fill_view("select {{ nope }}", "v")
