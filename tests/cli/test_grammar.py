"""One CLI grammar: --start/--end or --date on every verb with days, -p/--param, --format, --out.

Old spellings (--until, --parameter, --format text) still work for one release and warn.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import DAYS
from toolkit.cli import build_parser, main
from toolkit.cli_args import validate
from toolkit.errors import EXIT_USAGE

# Every verb that takes days, with the other arguments it needs to parse.
DAY_VERBS = {
    "ingest": ["ingest", "--raw", "r"],
    "export": ["export", "--out", "x.json"],
    "verify": ["verify", "--raw", "r", "--public-keys", "k.json"],
    "build": ["build"],
    "query": ["query", "--name", "top_talkers"],
    "metrics export": ["metrics", "export", "--lake", "l"],
    "metrics anomalies": ["metrics", "anomalies", "--lake", "l"],
    "alarms replay": ["alarms", "replay", "--lake", "l"],
    "detect": ["detect"],
    "investigate": ["investigate", "--lake", "l", "--ip", "203.0.113.10"],
    "report": ["report", "cost", "--out", "o"],
}


def _days(argv: list[str]) -> tuple[str, str]:
    args = build_parser().parse_args(argv)
    for check in [k for k in vars(args) if k.startswith("_check_") and k != "_check_days"]:
        delattr(args, check)  # parsing only: no lake or output checks here
    validate(args)
    return args.start, args.end


@pytest.mark.parametrize("verb", DAY_VERBS)
def test_every_verb_with_days_takes_start_end_and_date(verb):
    base = DAY_VERBS[verb]
    assert _days([*base, "--start", DAYS[0], "--end", DAYS[1]]) == DAYS
    assert _days([*base, "--date", DAYS[1]]) == (DAYS[1], DAYS[1])


def test_old_spellings_still_work_and_warn(capsys):
    assert _days(["ingest", "--raw", "r", "--date", DAYS[0], "--until", DAYS[1]]) == DAYS
    assert "--until is deprecated" in capsys.readouterr().err
    args = build_parser().parse_args(["report", "cost", "--parameter", "a=1", "-p", "b=2"])
    assert args.param == ["a=1", "b=2"]
    assert "--parameter is deprecated" in capsys.readouterr().err
    args = build_parser().parse_args(["investigate", "--lake", "l", "--date", DAYS[0], "--ip",
                                      "203.0.113.10", "--format", "text"])
    assert args.format == "table" and "--format text is deprecated" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["detect", "--date", DAYS[0], "--start", DAYS[0]], "either --date D"),
    (["detect", "--start", DAYS[0]], "give both --start and --end"),
    (["detect"], "which days?"),
    (["build", "--date", DAYS[0], "--until", DAYS[1], "--end", DAYS[1]], "give --end once"),
])
def test_ambiguous_or_missing_days_are_usage_errors(argv, message, capsys):
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_every_row_printing_verb_offers_the_same_formats():
    parser = build_parser()
    for argv in (["query", "--list"], ["build", "--date", DAYS[0]], ["detect", "--date", DAYS[0]],
                 ["ingest", "--date", DAYS[0]], ["rules", "list"]):
        for fmt in ("table", "csv", "json", "parquet"):
            assert parser.parse_args([*argv, "--format", fmt]).format == fmt


def test_query_json_prints_numbers_as_numbers(sample_lake, capsys):
    """DuckDB's sum() is a Decimal; JSON has it as an int (and fractions as floats)."""
    assert main(["query", "--lake", sample_lake["lake"], "--sql",
                 "select sum(1) as n, sum(cast(1.25 as decimal(10, 2))) as f, count(*) as c "
                 "from events where dt = :start", "--date", DAYS[0], "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert isinstance(row["n"], int) and row["n"] == row["c"] > 0
    assert isinstance(row["f"], float) and row["f"] == 1.25 * row["c"]


def test_out_writes_the_rows_in_the_chosen_format(sample_lake, tmp_path, capsys):
    out = tmp_path / "names.parquet"
    assert main(["query", "--lake", sample_lake["lake"], "--sql",
                 "select event_name, count(*) n from events where dt between :start and :end "
                 "group by 1", "--start", DAYS[0], "--end", DAYS[1], "--format", "parquet",
                 "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == ["event_name", "n"] and table.num_rows > 3
    assert capsys.readouterr().out == ""
    csv = tmp_path / "build.csv"
    assert main(["build", "--lake", sample_lake["lake"], "--date", DAYS[0], "--models",
                 "cur_logging_volume_daily", "--format", "csv", "--out", str(csv)]) == 0
    assert csv.read_text().splitlines()[0].startswith("day,model,status,failed_checks,check_details,partition")


def test_query_days_fill_start_and_end_once(sample_lake, capsys):
    assert main(["query", "--lake", sample_lake["lake"], "--name", "events_for_ip", "-p",
                 "ip=203.0.113.10", "-p", f"start={DAYS[0]}", "--date", DAYS[0]]) == EXIT_USAGE
    assert "give the days once" in capsys.readouterr().err
