"""Analyst-typed values are bound, never pasted: injection attempts match nothing."""

from __future__ import annotations

import pytest
import sql_records as rec

from toolkit.cli import main
from toolkit.sql.queries import load_query

ATTACKS = ["' OR 1=1 --", "x' OR '1'='1", "'; drop table events; --", "\\' OR 1=1 /*",
           "%' OR dt LIKE '%"]
WINDOW = {"start": rec.DAY, "end": rec.DAY}


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_in_a_string_parameter_matches_nothing(mini_engine, attack):
    query = load_query("events_for_resource")
    params = query.coerce_params({"resource": attack, **WINDOW})
    assert mini_engine.query(query.sql, params).height == 0
    # the same query with a real value does match, so "nothing" is meaningful
    real = query.coerce_params({"resource": "i-0abc1234def567890", **WINDOW})
    assert mini_engine.query(query.sql, real).height >= 2


@pytest.mark.parametrize("attack", ATTACKS)
def test_injection_in_ad_hoc_sql_parameters_matches_nothing(mini_engine, attack):
    sql = "select count(*) from events where dt = :day and user_name = :who"
    assert mini_engine.query(sql, {"day": rec.DAY, "who": attack}).item() == 0
    assert mini_engine.query(sql, {"day": rec.DAY, "who": "alice"}).item() > 0


@pytest.mark.parametrize("kind,name", [("arn", "events_for_principal"),
                                       ("access_key_id", "events_for_access_key"),
                                       ("ip", "events_for_ip")])
def test_typed_parameters_refuse_injection_before_any_sql(kind, name):
    query = load_query(name)
    param = next(p for p in query.params.values() if p.type == kind)
    with pytest.raises(ValueError, match=param.name):
        query.coerce_params({param.name: ATTACKS[0], **WINDOW})


def test_cli_dry_run_shows_the_value_only_as_a_bound_parameter(mini_engine, mini_lake, capsys):
    code = main(["query", "--lake", mini_lake, "--name", "events_for_resource",
                 "-p", f"resource={ATTACKS[0]}", "-p", f"start={rec.DAY}", "-p", f"end={rec.DAY}",
                 "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    sql_lines = [line for line in out.splitlines() if not line.startswith("--")]
    assert "OR 1=1" not in "\n".join(sql_lines) and "$resource" in "\n".join(sql_lines)
    assert f"$resource = {ATTACKS[0]!r}" in out and "estimated scan" in out


def test_cli_query_with_an_attack_returns_no_rows(mini_engine, mini_lake, capsys):
    code = main(["query", "--lake", mini_lake, "--sql",
                 "select event_id from events where dt = :d and principal_arn = :p",
                 "-p", f"d={rec.DAY}", "-p", f"p={ATTACKS[1]}", "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0 and out.strip() == "event_id"
