-- CloudWatch datapoints exported by `trailwatch metrics export` / `metrics import`: one row per
-- datapoint and statistic (long form). Columns = toolkit/cloudwatch/schema.py METRICS_SCHEMA.
-- Partition projection on dt: no MSCK / ALTER TABLE ADD PARTITION needed.
create external table if not exists {{ database }}.metrics (
  `timestamp` timestamp,
  account_id string,
  region string,
  namespace string,
  metric_name string,
  dimensions string,
  resource_id string,
  stat string,
  period_s int,
  value double,
  unit string
)
partitioned by (dt string)
stored as parquet
location '{{ lake }}/cloudwatch/metrics/'
tblproperties (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2010-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '{{ lake }}/cloudwatch/metrics/dt=${dt}/'
)
