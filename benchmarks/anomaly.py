"""Anomaly detectors on NAB's labelled real CloudWatch series, scored the NAB way.

    PYTHONPATH=. python benchmarks/anomaly.py [--set all|tuning|heldout] [--detectors new,old,iforest]
                                               [--data DIR] [--labels FILE] [--folds]

Each series is replayed as the ``cloudwatch_daily`` DAG sees it: every UTC day is scored
against the 14 days before it (the first day against itself). Three detectors, same protocol:

* ``new``      -- ``toolkit.cloudwatch.anomaly.anomaly_bands`` (this repository);
* ``old``      -- the detector before issue 15 (``benchmarks/legacy_anomaly.py``, frozen copy);
* ``iforest``  -- scikit-learn's IsolationForest fitted on the history of each day (features:
  value, deviation from the previous hour's median, hour of day), contamination 0.5 %.

Printed per series and overall: the NAB standard-profile score (``benchmarks/nab_scoring.py``;
0 = flag nothing, 100 = perfect), labelled windows caught, caught early (first flag in the first
half of the window, i.e. at or before NAB's label; ``60%``: in its first 60 %, see
``nab_scoring.EARLY60``), false flags per 1,000 points (flagged points outside every window), and what random flags at the same rate as ``new`` would catch.

Data: ``tests/fixtures/cloudwatch/nab``, NAB's 17 ``realAWSCloudwatch`` series and their 30
windows (``labels/combined_windows.json``). The series are split: ``TUNING`` are the 5 the
detector's constants were first set on; the other 12 (``heldout``) were added afterwards and
scored once with those constants before anything changed. Totals are printed for each part and
for all 17.

``--folds`` is the leave-some-out check of the detector's constants: the series are cut in two
halves (``HALVES``), every combination of ``GRID`` is scored, and the combination best on one
half (NAB score) is reported on the other -- the figures to expect on series nobody tuned on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import legacy_anomaly  # noqa: E402
from benchmarks.nab_scoring import FileScore, corpus, score_file  # noqa: E402
from toolkit.cloudwatch import anomaly  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "cloudwatch" / "nab"
HISTORY = dt.timedelta(days=14)
TUNING = ("ec2_cpu_utilization_5f5533", "ec2_cpu_utilization_c6585a", "ec2_network_in_257a54",
          "elb_request_count_8c0756", "rds_cpu_utilization_cc0c53")
# --folds: the first half is the tuning set plus four held-out series of different kinds
HALVES = ((*TUNING, "ec2_cpu_utilization_24ae8d", "ec2_cpu_utilization_825cc2",
           "ec2_disk_write_bytes_1ef3de", "grok_asg_anomaly"), None)  # None: all the others
GRID = {"SPIKE_MARGIN": (1.2, 1.5), "SPIKE_FLOOR": (1.0, 2.0), "RUN_MARGIN": (1.5, 2.0),
        "LEVEL_HOURS": (2.0, 3.0), "LOCAL_RATIO": (2.0, float("inf"))}


def load(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, try_parse_dates=True)
    return frame.with_columns(
        pl.col("timestamp").dt.replace_time_zone("UTC"),
        *[pl.lit(v).alias(k) for k, v in {"account_id": "", "region": "", "namespace": "NAB",
                                          "metric_name": path.stem, "dimensions": "{}",
                                          "stat": "Average"}.items()],
        pl.lit(300, pl.Int32).alias("period_s"))


def daily(frame: pl.DataFrame, detect) -> np.ndarray:
    """Flags for every row, each day scored with ``detect(today, history)``."""
    flags = []
    for day in frame["timestamp"].dt.date().unique().sort():
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        today = frame.filter(pl.col("timestamp").dt.date() == day)
        history = frame.filter(pl.col("timestamp").is_between(start - HISTORY, start, closed="left"))
        flags.append(detect(today, history))
    return np.concatenate(flags)


def new_detector(today: pl.DataFrame, history: pl.DataFrame) -> np.ndarray:
    return anomaly.anomaly_bands(today, history).sort("timestamp")["is_anomaly"].to_numpy()


def old_detector(today: pl.DataFrame, history: pl.DataFrame) -> np.ndarray:
    # its join does not keep row order: align the flags with the rows by time
    return legacy_anomaly.anomaly_bands(today, history).sort("timestamp")["is_anomaly"].to_numpy()


def _features(frame: pl.DataFrame) -> np.ndarray:
    local = pl.col("value").rolling_median(12, min_samples=1).shift(1).fill_null(pl.col("value"))
    return frame.select("value", (pl.col("value") - local).alias("dev"),
                        pl.col("timestamp").dt.hour().alias("hour")).to_numpy()


def iforest_detector(today: pl.DataFrame, history: pl.DataFrame) -> np.ndarray:
    from sklearn.ensemble import IsolationForest

    if history.height < 288:
        return np.zeros(today.height, dtype=bool)
    both = _features(pl.concat([history, today]))
    model = IsolationForest(n_estimators=100, contamination=0.005, random_state=0)
    model.fit(both[: history.height])
    return model.predict(both[history.height:]) == -1


DETECTORS = {"new": new_detector, "old": old_detector, "iforest": iforest_detector}


def windows_for(labels: dict, name: str) -> list[tuple[dt.datetime, dt.datetime]]:
    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    return [(parse(a), parse(b)) for a, b in labels[f"realAWSCloudwatch/{name}"]]


def random_catch(flags: np.ndarray, spans: list[tuple[int, int]]) -> float:
    """Windows that random flags at the same overall rate would catch (expected value)."""
    rate = flags.mean()
    return float(sum(1 - (1 - rate) ** (b - a + 1) for a, b in spans))


def line(label: str, s: FileScore) -> str:
    return (f"{label:<46} {s.normalized:8.1f} {s.caught:3d}/{s.windows:<3d} {s.early:3d}/{s.windows:<3d} "
            f"{s.early60:3d}/{s.windows:<3d} {1000 * s.false_flags / max(s.rows, 1):8.1f}")


def part_of(stem: str) -> str:
    return "tuning" if stem in TUNING else "heldout"


def evaluate(paths: list[Path], labels: dict, detectors: list[str], echo=print) -> dict:
    """{detector: {series: FileScore}} plus timings and the random-flag expectation for ``new``."""
    from benchmarks.nab_scoring import window_rows

    scores: dict[str, dict[str, FileScore]] = {k: {} for k in detectors}
    seconds = dict.fromkeys(detectors, 0.0)
    random = {}
    for path in paths:
        frame = load(path)
        stamps = frame["timestamp"].to_list()
        windows = windows_for(labels, path.name)
        for name in detectors:
            began = time.perf_counter()
            flags = daily(frame, DETECTORS[name])
            seconds[name] += time.perf_counter() - began
            scores[name][path.stem] = score = score_file(stamps, flags.tolist(), windows)
            echo(line(f"{path.stem} {name}", score))
            if name == "new":
                random[path.stem] = random_catch(flags, window_rows(stamps, windows))
    return {"scores": scores, "seconds": seconds, "random": random}


def folds(paths: list[Path], labels: dict) -> None:
    """Score every GRID combination on both halves; report each half's pick on the other."""
    import itertools

    first = [p for p in paths if p.stem in HALVES[0]]
    halves = {"A": first, "B": [p for p in paths if p not in first]}
    saved = {k: getattr(anomaly, k) for k in GRID}
    rows = []
    try:
        for combo in itertools.product(*GRID.values()):
            for k, v in zip(GRID, combo, strict=True):
                setattr(anomaly, k, v)
            scores = evaluate(paths, labels, ["new"], echo=lambda _: None)["scores"]["new"]
            part = {h: corpus([scores[p.stem] for p in ps]) for h, ps in halves.items()}
            rows.append((dict(zip(GRID, combo, strict=True)), part))
            print(" ".join(f"{k}={v}" for k, v in rows[-1][0].items()),
                  *(line(f"half {h}", s) for h, s in part.items()), sep="\n  ")
    finally:
        for k, v in saved.items():
            setattr(anomaly, k, v)
    for tuned, other in (("A", "B"), ("B", "A")):
        best = max(rows, key=lambda r: r[1][tuned].normalized)
        print(f"picked on half {tuned}: {best[0]}")
        print(line(f"  on half {tuned} (tuned)", best[1][tuned]))
        print(line(f"  on half {other} (not seen)", best[1][other]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=FIXTURES)
    parser.add_argument("--labels", type=Path, default=FIXTURES / "combined_windows.json")
    parser.add_argument("--set", choices=("all", "tuning", "heldout"), default="all",
                        help="which series to score (default: all 17, with tuning / held-out totals)")
    parser.add_argument("--detectors", default=",".join(DETECTORS),
                        help="comma-separated subset of " + ", ".join(DETECTORS))
    parser.add_argument("--folds", action="store_true",
                        help="leave-some-out check of the new detector's constants (GRID over two HALVES)")
    args = parser.parse_args(argv)
    detectors = [d for d in args.detectors.split(",") if d]
    unknown = set(detectors) - set(DETECTORS)
    if unknown:
        parser.error(f"unknown detector(s): {', '.join(sorted(unknown))}")
    labels = json.loads(args.labels.read_text())
    paths = [p for p in sorted(args.data.glob("*.csv")) if args.set in ("all", part_of(p.stem))]
    print(f"{'series / detector':<46} {'NAB':>8} {'caught':>7} {'early':>7} {'60%':>7} {'FP/1000':>8}")
    if args.folds:
        folds(paths, labels)
        return 0
    result = evaluate(paths, labels, detectors)
    scores, seconds = result["scores"], result["seconds"]
    parts = [p for p in ("tuning", "heldout") if any(part_of(s) == p for s in scores[detectors[0]])]
    print("-" * 80)
    for part in [*parts, "all"] if len(parts) > 1 else parts:
        for name in detectors:
            chosen = [v for k, v in scores[name].items() if part in ("all", part_of(k))]
            timing = f" ({seconds[name]:.1f} s)" if part == "all" or len(parts) == 1 else ""
            print(line(f"{part.upper()} {name} ({len(chosen)} series){timing}", corpus(chosen)))
    if "new" in detectors:
        total = corpus(list(scores["new"].values()))
        print(f"random flags at the rate of 'new' would catch {sum(result['random'].values()):.1f} "
              f"of {total.windows} windows")
        if "old" in detectors:
            old = corpus(list(scores["old"].values()))
            print(f"new vs old: NAB {total.normalized:.1f} vs {old.normalized:.1f}; false flags per 1,000 "
                  f"points {1000 * total.false_flags / total.rows:.1f} vs {1000 * old.false_flags / old.rows:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
