"""The CLI path gives the benchmark's verdicts: ``trailwatch metrics import`` of a real NAB series,
then ``trailwatch metrics anomalies`` day by day, flags exactly the datapoints that
``benchmarks/anomaly.py`` flags for it, and pages at the start of a labelled window."""

from __future__ import annotations

import json

import polars as pl
import pytest

from benchmarks import anomaly as bench
from toolkit.cli import main
from toolkit.lake import Lake

LABELS = json.loads((bench.FIXTURES / "combined_windows.json").read_text())


def import_and_score(series: str, lake: str, capsys) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """(the CSV as the benchmark reads it, the lake's anomalies table, the import's output)."""
    csv = bench.FIXTURES / f"{series}.csv"
    assert main(["metrics", "import", "--csv", str(csv), "--namespace", "AWS/EC2", "--metric",
                 "CPUUtilization", "--dimension", "InstanceId=i-nab", "--lake", lake]) == 0
    imported = capsys.readouterr().out
    frame = bench.load(csv)
    days = frame["timestamp"].dt.date().unique().sort().to_list()
    assert main(["metrics", "anomalies", "--lake", lake, "--start", days[0].isoformat(),
                 "--end", days[-1].isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.count("anomalies 20") == len(days) and "baseline: self" in out.splitlines()[0]
    files = [f for d in days for f in Lake.at(lake).files("anomalies", d)]
    return frame, pl.read_parquet(files).sort("timestamp"), imported


def assert_windows_paged_early(scored: pl.DataFrame, series: str) -> None:
    for start, end in bench.windows_for(LABELS, f"{series}.csv"):
        inside = scored.filter(pl.col("is_anomaly") & pl.col("timestamp").is_between(start, end))
        assert inside.height and inside["timestamp"][0] <= start + (end - start) / 2   # early


@pytest.mark.parametrize("series", [
    "ec2_cpu_utilization_24ae8d",          # idle, quantized CPU with a nightly spike; 2 windows
    "iio_us-east-1_i-a2eb1cd9_NetworkIn",  # October 2013 (before CloudTrail existed), 4.3 days: a young series
])
def test_cli_import_then_anomalies_matches_the_benchmark_and_flags_the_window(series, tmp_path, capsys):
    frame, scored, imported = import_and_score(series, str(tmp_path / "lake"), capsys)
    assert "period 300s" in imported and "repeated" not in imported
    assert scored["timestamp"].to_list() == frame["timestamp"].to_list()
    expected = bench.daily(frame, bench.DETECTORS["new"])
    assert scored["is_anomaly"].to_list() == expected.tolist()   # same verdict on every datapoint
    assert_windows_paged_early(scored, series)


def test_repeated_timestamps_of_a_real_export_are_counted_and_the_window_still_paged(tmp_path, capsys):
    """NAB's 1ef3de repeats ``2014-03-09 03:00:00`` twelve times (a local-time DST artefact):
    one datapoint per timestamp is kept, and the import says how many rows it set aside."""
    series = "ec2_disk_write_bytes_1ef3de"
    frame, scored, imported = import_and_score(series, str(tmp_path / "lake"), capsys)
    assert "4,730 rows read: 11 repeated an earlier timestamp" in imported
    assert scored.height == frame["timestamp"].n_unique() == frame.height - 11
    assert_windows_paged_early(scored, series)
