"""One metadata shape for every SQL-bearing YAML file (models, named queries, detection rules):
``name`` (= the file name), ``description``, typed ``params``, checked by ``toolkit.sql.meta``.
Rule files in the old shape (``id:``) still load, with a FutureWarning."""

from __future__ import annotations

import warnings

import pytest
import yaml

from tests.detections.conftest import stop_logging_rule, write_rule
from toolkit.detections.rules import RULES_DIR, RuleError, load_rules, validate_rule
from toolkit.sql import meta
from toolkit.sql.files import read_yaml, sql_dir


def _sidecars():
    root = sql_dir()
    yield from sorted((root / "models").glob("*.yml"))
    yield from sorted(p for p in (root / "queries").rglob("*.yml")
                      if p.parent.name != "base" and p.name != "fragments.yml")


@pytest.mark.parametrize("path", list(_sidecars()), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_sql_sidecar_has_the_shared_keys(path):
    data = read_yaml(path)
    assert meta.problems(data, path) == []
    assert data["name"] == path.stem


def test_every_packaged_rule_uses_the_shared_keys_and_no_legacy_id():
    paths = sorted(RULES_DIR.rglob("*.yml"))
    assert len(paths) > 100
    for path in paths:
        data = read_yaml(path)
        assert "id" not in data, f"{path}: write name:, not id:"
        assert meta.problems(data, path) == [], path


def test_shared_validator_names_each_problem(tmp_path):
    path = tmp_path / "top_talkers.yml"
    assert meta.problems({"name": "other", "description": " "}, path) == [
        "name 'other' must be the file name without .yml ('top_talkers')",
        "description must be a non-empty string"]
    assert meta.problems({"id": "top_talkers", "name": "top_talkers", "description": "d"}, path) == [
        "both 'id' and 'name' given; keep 'name'"]
    assert "unknown type 'bogus'" in meta.problems(
        {"description": "d", "params": {"x": {"type": "bogus"}}}, path, require_name=False)[0]
    # an unquoted comma in a flow mapping splits a description into stray keys: refused
    split = yaml.safe_load("params: {x: {type: string, description: a, b}}")
    assert "unknown key(s)" in meta.problems({"description": "d", **split}, path, require_name=False)[0]


def test_rule_file_in_the_old_shape_loads_with_a_deprecation_warning(tmp_path):
    rule = stop_logging_rule()
    old = {"id": rule.pop("name"), **rule}
    write_rule_old = tmp_path / "rules" / old["tactic"] / f"{old['id']}.yml"
    write_rule_old.parent.mkdir(parents=True)
    write_rule_old.write_text(yaml.safe_dump(old, sort_keys=False))
    with pytest.warns(FutureWarning, match=r"'id:' is deprecated, write 'name: test-stop-logging'"):
        (loaded,) = load_rules(tmp_path / "rules")
    assert loaded.id == "test-stop-logging"
    assert validate_rule(old) == []  # a mapping in the old shape validates too (import code)


def test_rule_file_in_the_new_shape_loads_silently_and_is_checked_like_a_model(tmp_path):
    write_rule(tmp_path / "rules", stop_logging_rule())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (loaded,) = load_rules(tmp_path / "rules")
    assert loaded.id == "test-stop-logging"
    bad = stop_logging_rule()
    path = write_rule(tmp_path / "bad", bad)
    path.rename(path.with_name("renamed.yml"))
    with pytest.raises(RuleError, match="name 'test-stop-logging' must be the file name"):
        load_rules(tmp_path / "bad")
    both = {**stop_logging_rule(), "id": "test-stop-logging"}
    assert "both 'id' and 'name' given; keep 'name'" in validate_rule(both)
