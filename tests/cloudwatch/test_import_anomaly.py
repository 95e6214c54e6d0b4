"""CSV import of the real NAB CloudWatch series, anomaly bands on them, and the lake writer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from toolkit.cloudwatch.anomaly import anomaly_bands, anomaly_episodes, detect_anomalies, quantum
from toolkit.cloudwatch.load import import_csv, read_metrics
from toolkit.lake import Lake


@pytest.fixture
def nab(fixtures_dir):
    return fixtures_dir / "cloudwatch" / "nab"


def test_import_nab_csv_partitions_by_day_and_is_idempotent(nab, tmp_path):
    lake = str(tmp_path / "lake")
    csv = nab / "ec2_cpu_utilization_5f5533.csv"
    r = import_csv(csv, lake, "AWS/EC2", "CPUUtilization", dimensions={"InstanceId": "i-5f5533"})
    assert r["period_s"] == 300 and r["rows"] == 4032
    assert min(r["days"]) == "2014-02-14" and sum(r["days"].values()) == 4032
    got = read_metrics(lake, "2014-02-14", "2014-02-28")
    assert got.height == 4032 and set(got["resource_id"]) == {"i-5f5533"}
    assert got["timestamp"].min() == dt.datetime(2014, 2, 14, 14, 27, tzinfo=dt.UTC)
    assert got.sort("timestamp")["value"][0] == pytest.approx(51.846)
    import_csv(csv, lake, "AWS/EC2", "CPUUtilization", dimensions={"InstanceId": "i-5f5533"})
    other = nab / "rds_cpu_utilization_cc0c53.csv"
    import_csv(other, lake, "AWS/RDS", "CPUUtilization", dimensions={"DBInstanceIdentifier": "db-1"})
    both = read_metrics(lake, "2014-02-14", "2014-02-28")
    assert both.height == 2 * 4032  # re-import replaced its own rows, kept the other series


def test_bad_csv_rows_are_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2014-02-14 14:27:00,1.0\nnot-a-time,2.0\n")
    with pytest.raises(ValueError, match="1 row.*not-a-time"):
        import_csv(bad, str(tmp_path / "lake"), "NS", "M")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("time,v\n2014-02-14 14:27:00,1.0\n")
    with pytest.raises(ValueError, match="expected columns timestamp,value"):
        import_csv(wrong, str(tmp_path / "lake"), "NS", "M")


def _series(values, start=dt.datetime(2025, 3, 1, tzinfo=dt.UTC), step=300):
    return pl.DataFrame({
        "timestamp": [start + dt.timedelta(seconds=step * i) for i in range(len(values))],
        "value": values}).with_columns(
        pl.lit("1").alias("account_id"), pl.lit("r").alias("region"), pl.lit("AWS/EC2").alias("namespace"),
        pl.lit("CPUUtilization").alias("metric_name"), pl.lit("{}").alias("dimensions"),
        pl.lit("Average").alias("stat"), pl.lit(300, pl.Int32).alias("period_s"))


def test_band_follows_daily_seasonality_and_flags_a_spike():
    day = [10.0 + (40.0 if 9 <= (i // 12) < 17 else 0.0) + (i % 3) for i in range(288)]
    history = _series(day * 7)
    today = _series(day, start=dt.datetime(2025, 3, 8, tzinfo=dt.UTC))
    today = today.with_columns(pl.when(pl.int_range(pl.len()) == 30).then(95.0)
                               .otherwise(pl.col("value")).alias("value"))
    scored = anomaly_bands(today, history)
    assert scored.filter("is_anomaly")["timestamp"].to_list() == [dt.datetime(2025, 3, 8, 2, 30, tzinfo=dt.UTC)]
    noon = scored.filter(pl.col("timestamp").dt.hour() == 12)
    night = scored.filter(pl.col("timestamp").dt.hour() == 3)
    assert noon["expected"].min() > 45 and night["expected"].max() < 15
    assert (scored["lower"] <= scored["expected"]).all() and (scored["lower"] >= 0).all()
    episodes = anomaly_episodes(scored)
    assert episodes.height == 1 and episodes["peak_value"][0] == 95.0


def test_without_history_there_are_bands_but_no_flags(nab):
    raw = pl.read_csv(nab / "ec2_cpu_utilization_c6585a.csv", try_parse_dates=True)
    series = _series(raw["value"].to_list(), start=raw["timestamp"][0].replace(tzinfo=dt.UTC))
    scored = anomaly_bands(series)
    assert not scored["is_anomaly"].any() and scored["upper"].null_count() == 0


def test_detect_anomalies_writes_partition_from_trailing_history(nab, tmp_path):
    """The RDS CPU level shift (6 % -> 14 % at 07:15 on 2014-02-25, inside NAB's labelled
    window) pages once, at the shift; the band follows the new level instead of flagging every
    point for days (the previous detector flagged most of the day and the days after)."""
    lake = str(tmp_path / "lake")
    import_csv(nab / "rds_cpu_utilization_cc0c53.csv", lake, "AWS/RDS", "CPUUtilization",
               dimensions={"DBInstanceIdentifier": "db-1"}, period=300)
    quiet = detect_anomalies(lake, "2014-02-22", history_days=7)
    shifted = detect_anomalies(lake, "2014-02-25", history_days=7)
    after = detect_anomalies(lake, "2014-02-26", history_days=7)
    assert quiet["baseline"] == "7 days" and quiet["anomalies"] == 0
    assert 0 < shifted["anomalies"] < 0.1 * shifted["rows"] and after["anomalies"] == 0
    episodes = anomaly_episodes(pl.read_parquet(shifted["partition"]))
    first = episodes.row(0, named=True)
    assert first["start"] == dt.datetime(2014, 2, 25, 7, 15, tzinfo=dt.UTC)
    assert first["end"] - first["start"] <= dt.timedelta(hours=2)
    assert first["peak_value"] > 20 and first["expected"] < 7
    again = detect_anomalies(lake, "2014-02-25", history_days=7)
    assert again == shifted
    # the day's files as the Iceberg catalog lists them (the dt= folder also keeps the replaced
    # run's files for time travel until `trailwatch lake maintain`)
    part = pl.read_parquet(Lake.at(lake).files("anomalies", "2014-02-25"))
    assert part.height == shifted["rows"] and part["is_anomaly"].sum() == shifted["anomalies"]


def test_quantum_is_the_real_step_not_the_smallest_difference(nab):
    idle = pl.read_csv(nab / "ec2_cpu_utilization_c6585a.csv")["value"].to_numpy()
    assert quantum(idle) == pytest.approx(0.067, abs=0.001)       # not 0.002 (0.066 vs 0.068)
    busy = pl.read_csv(nab / "ec2_cpu_utilization_5f5533.csv")["value"].to_numpy()
    assert quantum(busy) == 0.0
    two_regimes = np.array([10.0, 11, 12, 50, 51, 52] * 50)
    assert quantum(two_regimes) == 0.0


def test_idle_quantized_series_does_not_flag_its_usual_values(nab):
    raw = pl.read_csv(nab / "ec2_cpu_utilization_c6585a.csv", try_parse_dates=True)
    series = _series(raw["value"].to_list(), start=raw["timestamp"][0].replace(tzinfo=dt.UTC))
    cut = dt.datetime(2014, 4, 9, tzinfo=dt.UTC)
    scored = anomaly_bands(series.filter(pl.col("timestamp") >= cut), series.filter(pl.col("timestamp") < cut))
    flagged = scored.filter("is_anomaly")
    assert flagged.filter(pl.col("value") < 0.2).is_empty()       # 0.066 / 0.134: never flagged
    assert flagged.height <= 2                                     # the nightly job is routine


def _noisy(level, days, seed=0, start=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)):
    rng = np.random.default_rng(seed)
    return _series((level + rng.normal(0, 0.5, 288 * days)).tolist(), start=start)


def test_level_shift_pages_once_then_settles_and_the_return_is_not_paged():
    history = _noisy(10.0, 7)
    day = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    today = _noisy(10.0, 1, seed=1, start=day)
    hour = pl.col("timestamp").dt.hour()
    today = today.with_columns(pl.when((hour >= 6) & (hour < 14)).then(pl.col("value") + 10)
                               .otherwise(pl.col("value")).alias("value"))
    scored = anomaly_bands(today, history)
    flagged = scored.filter("is_anomaly")["timestamp"].to_list()
    assert flagged and flagged[0] == day + dt.timedelta(hours=6)      # the shift pages at once
    assert len(flagged) <= 2                                         # ... and only while it is news
    at_eight = scored.filter(pl.col("timestamp") == day + dt.timedelta(hours=8)).row(0, named=True)
    assert 18 < at_eight["expected"] < 22 and at_eight["lower"] < at_eight["value"] < at_eight["upper"]
    assert not [t for t in flagged if t >= day + dt.timedelta(hours=14)]   # back to 10: no page


def test_routine_bursts_are_not_paged_but_a_larger_one_is():
    rng = np.random.default_rng(2)
    values = rng.uniform(0, 1, 288 * 8)
    for d in range(8):                      # one 3-point burst of ~100 a day, at a different hour
        at = d * 288 + 12 * ((5 * d + 3) % 24)
        values[at:at + 3] = 100 + rng.uniform(0, 5, 3)
    day = 288 * 7
    values[day + 12 * 20: day + 12 * 20 + 3] = 300           # today: a burst three times larger
    series = _series(values.tolist())
    cut = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    scored = anomaly_bands(series.filter(pl.col("timestamp") >= cut), series.filter(pl.col("timestamp") < cut))
    flagged = scored.filter("is_anomaly")
    assert flagged.height >= 1 and (flagged["value"] == 300).all()   # the routine burst (~100) is not


def test_a_series_that_dips_daily_still_pages_a_smaller_spike_up():
    history = _noisy(50.0, 7, seed=3)
    idx = pl.int_range(pl.len())
    history = history.with_columns(pl.when(idx % 288 == (idx // 288) * 17 % 288).then(0.0)
                                   .otherwise(pl.col("value")).alias("value"))   # a daily dip to 0
    day = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    today = _noisy(50.0, 1, seed=4, start=day).with_columns(
        pl.when(pl.int_range(pl.len()) == 150).then(70.0).otherwise(pl.col("value")).alias("value"))
    flagged = anomaly_bands(today, history).filter("is_anomaly")
    assert flagged["timestamp"].to_list() == [day + dt.timedelta(minutes=5 * 150)]


def test_a_nightly_spike_does_not_hide_a_smaller_spike_at_another_hour():
    """The daily spike (~40 sigma at 00:00) is routine and does not page; it sets no spike bar,
    so a 10-sigma spike at 17:00 -- an hour that never spikes -- pages."""
    history = _noisy(10.0, 7, seed=5).with_columns(
        pl.when(pl.int_range(pl.len()) % 288 == 0).then(30.0).otherwise(pl.col("value")).alias("value"))
    day = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    idx = pl.int_range(pl.len())
    today = _noisy(10.0, 1, seed=6, start=day).with_columns(
        pl.when(idx == 0).then(30.0).when(idx == 17 * 12).then(15.0).otherwise(pl.col("value")).alias("value"))
    flagged = anomaly_bands(today, history).filter("is_anomaly")
    assert flagged["timestamp"].to_list() == [day + dt.timedelta(hours=17)]


def test_a_young_series_pages_a_large_spike_on_stricter_bars():
    """10 hours of history (under FULL_HISTORY, over MIN_HISTORY): no season, bars YOUNG_MARGIN
    stricter -- a 20-sigma spike pages, the noise does not; with 4 hours nothing pages."""
    start = dt.datetime(2025, 3, 1, 14, tzinfo=dt.UTC)
    series = _noisy(10.0, 1, seed=7, start=start)
    series = series.with_columns(
        pl.when(pl.int_range(pl.len()) == 12 * 16).then(20.0).otherwise(pl.col("value")).alias("value"))
    cut = start + dt.timedelta(hours=10)
    today = series.filter(pl.col("timestamp") >= cut)
    flagged = anomaly_bands(today, series.filter(pl.col("timestamp") < cut)).filter("is_anomaly")
    assert flagged["timestamp"].to_list() == [start + dt.timedelta(hours=16)]
    short = series.filter(pl.col("timestamp").is_between(cut - dt.timedelta(hours=4), cut, closed="left"))
    assert not anomaly_bands(today, short)["is_anomaly"].any()


def _bursts_every_six_hours(days, stop_after=None):
    """Uniform noise in [0, 1) with a 3-datapoint burst of ~100 at 00:00, 06:00, 12:00, 18:00."""
    rng = np.random.default_rng(8)
    values = rng.uniform(0, 1, 288 * days)
    for at in range(0, values.size, 72):
        if stop_after is None or at <= stop_after:
            values[at:at + 3] = 100 + rng.uniform(0, 5, 3)
    return values


def test_routine_activity_that_stops_pages_once_when_the_silence_outlasts_the_history():
    """Bursts every six hours for 8 days; today only the 00:00 one comes. The longest quiet
    stretch in the history is 5 h 50 (00:10 to 06:00); once the silence passes that plus
    SILENCE_GRACE (an hour), one datapoint pages -- and nothing else does. With the bursts on
    schedule nothing pages; a series whose peak is no more than noise never gets this page."""
    cut = dt.datetime(2025, 3, 9, tzinfo=dt.UTC)
    stopped = _series(_bursts_every_six_hours(9, stop_after=288 * 8).tolist())
    scored = anomaly_bands(stopped.filter(pl.col("timestamp") >= cut), stopped.filter(pl.col("timestamp") < cut))
    assert scored.filter("is_anomaly")["timestamp"].to_list() == [cut + dt.timedelta(hours=7, minutes=5)]
    routine = _series(_bursts_every_six_hours(9).tolist())
    assert not anomaly_bands(routine.filter(pl.col("timestamp") >= cut),
                             routine.filter(pl.col("timestamp") < cut))["is_anomaly"].any()
    week = _noisy(10.0, 9, seed=9)
    assert not anomaly_bands(week.filter(pl.col("timestamp") >= cut),
                             week.filter(pl.col("timestamp") < cut))["is_anomaly"].any()


def test_a_gap_in_the_exported_data_is_not_silence():
    """The same routine bursts, but today the export has no datapoints from 00:30 to 09:00 (an
    exporter that was down): the bursts resume on schedule at 12:00. Eight and a half hours passed
    since the 00:00 burst, but only ~3 h of quiet datapoints were seen: no page (counting wall-clock
    time, the first quiet datapoint after the gap paged)."""
    cut = dt.datetime(2025, 3, 9, tzinfo=dt.UTC)
    routine = _series(_bursts_every_six_hours(9).tolist())
    gap = pl.col("timestamp").is_between(cut + dt.timedelta(minutes=30), cut + dt.timedelta(hours=9), closed="left")
    today = routine.filter((pl.col("timestamp") >= cut) & ~gap)
    assert today.height == 288 - 102
    assert not anomaly_bands(today, routine.filter(pl.col("timestamp") < cut))["is_anomaly"].any()


def test_a_blip_in_a_noisier_regime_does_not_move_the_level_silently():
    """Noise 4x the history's from midnight (the local spread takes over the scale); at 08:00 two
    datapoints at +5 -- 2.5 local sigma, not a shift the flags would page -- then a dip. The level
    stays at 10: a level is only re-based by a shift judged on the scale the flags are judged on
    (before, it moved to 15 without a page and the next datapoints were judged against 15)."""
    history = _noisy(10.0, 7)
    day = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    values = 10.0 + np.random.default_rng(11).normal(0, 2.0, 288)
    values[96:98], values[98] = 15.0, 2.0
    scored = anomaly_bands(_series(values.tolist(), start=day), history)
    later = scored.filter(pl.col("timestamp") >= day + dt.timedelta(hours=4))
    assert later["expected"].is_between(8.5, 11.5).all()
    assert not later["is_anomaly"].any()
