-- Alarm state transitions written by `trailwatch alarms replay` (OK / ALARM / INSUFFICIENT_DATA,
-- with time and reason). Columns = toolkit/cloudwatch/schema.py ALARM_STATES_SCHEMA.
create external table if not exists {{ database }}.alarm_states (
  alarm_name string,
  `timestamp` timestamp,
  state string,
  previous_state string,
  reason string,
  namespace string,
  metric_name string,
  dimensions string,
  resource_id string,
  stat string,
  period_s int,
  breaching int,
  evaluated int,
  last_value double
)
partitioned by (dt string)
stored as parquet
location '{{ lake }}/cloudwatch/alarm_states/'
tblproperties (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2010-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '{{ lake }}/cloudwatch/alarm_states/dt=${dt}/'
)
