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
from toolkit.sql.queries import load_query, query_names
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
