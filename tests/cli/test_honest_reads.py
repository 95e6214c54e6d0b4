"""Reads are honest: no lake, no data for the days, no curated models -> a clear error, not 0 rows.

Exit codes (toolkit/errors.py, README "Exit codes"): 2 not a lake / bad range, 3 no data for a
table the read needs (unless --allow-empty, which warns and exits 0).
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.cli.conftest import DAYS, MISSING_DAY
from toolkit.cli import main
from toolkit.errors import EXIT_EMPTY, EXIT_USAGE


def _reads(lake: str, out_dir, day: str) -> dict[str, list[str]]:
    """Each read verb over one day, as argv."""
    return {
        "query": ["query", "--lake", lake, "--name", "events_for_ip", "-p", "ip=203.0.113.10",
                  "--date", day],
        "build": ["build", "--lake", lake, "--date", day],
        "detect": ["detect", "--lake", lake, "--date", day],
        "investigate": ["investigate", "--lake", lake, "--date", day, "--ip", "203.0.113.10"],
        "export": ["export", "--lake", lake, "--date", day, "--out", str(out_dir / "x.json")],
        "report": ["report", "forensic", "--lake", lake, "--date", day, "--out", str(out_dir / "r")],
    }


@pytest.mark.parametrize("verb", ["query", "build", "detect", "investigate", "export", "report"])
def test_a_path_that_is_not_a_lake_is_a_one_line_error(verb, sample_lake, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a lake")
    for lake, expect in [(str(tmp_path / "typo"), "no lake at"),
                         (sample_lake["root"] + "/sample", "is not a trailwatch lake"),
                         (str(tmp_path / "notes.txt"), "is a file")]:
        code = main(_reads(lake, tmp_path, DAYS[0])[verb])
        err = capsys.readouterr().err
        assert code == EXIT_USAGE, err
        assert expect in err and "Traceback" not in err
        assert not (tmp_path / "x.json").exists() and not (tmp_path / "r").exists()


@pytest.mark.parametrize("verb", ["query", "build", "detect", "investigate", "export", "report"])
def test_a_day_the_lake_does_not_hold_exits_3_and_names_it(verb, sample_lake, tmp_path, capsys):
    argv = _reads(sample_lake["lake"], tmp_path, MISSING_DAY)[verb]
    assert main(argv) == EXIT_EMPTY
    err = capsys.readouterr().err
    assert f"table events has no data on {MISSING_DAY}" in err
    assert f"trailwatch ingest --start {MISSING_DAY} --end {MISSING_DAY}" in err
    assert "--allow-empty" in err
    assert not (tmp_path / "x.json").exists()  # refused before any output was written


def test_allow_empty_warns_and_answers_empty(sample_lake, tmp_path, capsys):
    assert main(["query", "--lake", sample_lake["lake"], "--name", "events_for_ip", "-p",
                 "ip=203.0.113.10", "--date", MISSING_DAY, "--allow-empty", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert f"table events has no data on {MISSING_DAY}" in captured.err


def test_partly_missing_range_warns_with_the_missing_days_and_answers(sample_lake, capsys):
    code = main(["query", "--lake", sample_lake["lake"], "--sql",
                 "select dt, count(*) n from events where dt between :start and :end group by dt "
                 "order by dt", "--start", "2025-03-01", "--end", DAYS[1], "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0
    assert [r["dt"] for r in json.loads(captured.out)] == list(DAYS)
    assert "table events has no data on 2025-03-01..2025-03-02" in captured.err


def test_named_query_over_unbuilt_models_says_how_to_build_them(sample_lake, capsys):
    code = main(["query", "--lake", sample_lake["lake"], "--name", "top_talkers",
                 "--start", DAYS[0], "--end", DAYS[1]])
    err = capsys.readouterr().err
    assert code == EXIT_EMPTY
    assert ("table cur_principal_activity_daily has no data on 2025-03-03..2025-03-04; build it "
            "with: trailwatch build --start 2025-03-03 --end 2025-03-04 --models "
            "cur_principal_activity_daily") in err


def test_reversed_range_is_an_error_on_every_verb(sample_lake, tmp_path, capsys):
    for verb, argv in _reads(sample_lake["lake"], tmp_path, DAYS[0]).items():
        argv = [a for a in argv if a not in ("--date", DAYS[0])]
        assert main([*argv, "--start", DAYS[1], "--end", DAYS[0]]) == EXIT_USAGE, verb
        assert f"end {DAYS[0]} is before start {DAYS[1]}" in capsys.readouterr().err


def test_python_api_returns_the_empty_frame_and_logs_the_same_warning(sample_lake, caplog):
    from toolkit.config import Settings
    from toolkit.engines import connect

    engine = connect(Settings(lake=sample_lake["lake"]))
    with caplog.at_level(logging.WARNING, logger="toolkit.engines.coverage"):
        frame = engine.query("select * from findings where dt = :d", {"d": DAYS[0]})
    assert frame.height == 0
    assert f"table findings has no data on {DAYS[0]}" in caplog.text
    assert f"trailwatch detect --start {DAYS[0]} --end {DAYS[0]}" in caplog.text


def test_investigation_of_a_subject_with_no_events_says_nothing_was_found(sample_lake, tmp_path, capsys):
    """The days hold data but not this IP: the summary says so first, not a page of zeros."""
    assert main(["investigate", "--lake", sample_lake["lake"], "--date", DAYS[0], "--ip", "192.0.2.254",
                 "--out", str(tmp_path / "inv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("  NOTHING FOUND: no event of") and "matches this ip" in out[1]
