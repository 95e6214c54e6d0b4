"""The CLI path gives the benchmark's verdicts: ``trailwatch metrics import`` of a real NAB series,
then ``trailwatch metrics anomalies`` day by day, flags exactly the datapoints that
``benchmarks/anomaly.py`` flags for it, and pages at the start of a labelled window."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from benchmarks import anomaly as bench
from toolkit.cli import main
from toolkit.lake import Lake

SERIES = "ec2_cpu_utilization_24ae8d"  # idle, quantized CPU with a nightly spike; 2 labelled windows


def test_cli_import_then_anomalies_matches_the_benchmark_and_flags_the_window(tmp_path, capsys):
    csv = bench.FIXTURES / f"{SERIES}.csv"
    lake = str(tmp_path / "lake")
    assert main(["metrics", "import", "--csv", str(csv), "--namespace", "AWS/EC2", "--metric",
                 "CPUUtilization", "--dimension", "InstanceId=i-24ae8d", "--lake", lake]) == 0
    assert "period 300s" in capsys.readouterr().out
    frame = bench.load(csv)
    days = frame["timestamp"].dt.date().unique().sort().to_list()
    assert main(["metrics", "anomalies", "--lake", lake, "--start", days[0].isoformat(),
                 "--end", days[-1].isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.count("anomalies 2014-") == len(days) and "baseline: self" in out.splitlines()[0]
    files = [f for d in days for f in Lake.at(lake).files("anomalies", d)]
    scored = pl.read_parquet(files).sort("timestamp")
    assert scored["timestamp"].to_list() == frame["timestamp"].to_list()

    expected = bench.daily(frame, bench.DETECTORS["new"])
    assert scored["is_anomaly"].to_list() == expected.tolist()   # same verdict on every datapoint
    labels = json.loads((bench.FIXTURES / "combined_windows.json").read_text())
    for start, end in bench.windows_for(labels, csv.name):
        inside = scored.filter(pl.col("is_anomaly") & pl.col("timestamp").is_between(start, end))
        assert inside.height and inside["timestamp"][0] <= start + (end - start) / 2   # early
