"""Arrow schemas of the CloudWatch tables (one source of truth for writers, DDL and tests).

* ``metrics``      -- ``<lake>/cloudwatch/metrics/dt=D/``: one row per datapoint and statistic.
* ``alarm_states`` -- ``<lake>/cloudwatch/alarm_states/dt=D/``: alarm state transitions.
* ``anomalies``    -- ``<lake>/cloudwatch/anomalies/dt=D/``: datapoints with their seasonal band.

``dt`` is the Hive partition (directory), not a column in the files.
"""

from __future__ import annotations

import pyarrow as pa

_str = pa.string()
_ts = pa.timestamp("us", tz="UTC")

# Identity of one series: the columns that, with ``stat`` and ``period_s``, name it.
SERIES_KEY = ("account_id", "region", "namespace", "metric_name", "dimensions")

METRICS_SCHEMA = pa.schema([
    ("timestamp", _ts),            # start of the period (CloudWatch's datapoint timestamp)
    ("account_id", _str),
    ("region", _str),
    ("namespace", _str),
    ("metric_name", _str),
    ("dimensions", _str),          # JSON object text, keys sorted: {"InstanceId": "i-..."}
    ("resource_id", _str),         # flat id of the resource (instance, DB, function, LB, ...)
    ("stat", _str),                # Average | Maximum | Minimum | Sum | SampleCount | p95 ...
    ("period_s", pa.int32()),
    ("value", pa.float64()),
    ("unit", _str),
])

ALARM_STATES_SCHEMA = pa.schema([
    ("alarm_name", _str),
    ("timestamp", _ts),            # evaluation time at which the state changed (period end)
    ("state", _str),               # OK | ALARM | INSUFFICIENT_DATA
    ("previous_state", _str),
    ("reason", _str),
    ("namespace", _str),
    ("metric_name", _str),
    ("dimensions", _str),
    ("resource_id", _str),
    ("stat", _str),
    ("period_s", pa.int32()),
    ("breaching", pa.int32()),     # breaching datapoints among the N evaluated
    ("evaluated", pa.int32()),     # real datapoints among the N evaluated
    ("last_value", pa.float64()),  # newest real value in the evaluation range
])

ANOMALIES_SCHEMA = pa.schema([
    *[METRICS_SCHEMA.field(name) for name in METRICS_SCHEMA.names],
    ("expected", pa.float64()),
    ("lower", pa.float64()),
    ("upper", pa.float64()),
    ("score", pa.float64()),       # robust z: (value - expected) / scaled MAD
    ("is_anomaly", pa.bool_()),
])
