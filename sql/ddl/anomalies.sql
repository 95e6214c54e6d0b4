-- Datapoints scored against their seasonal baseline by `trailwatch metrics anomalies`.
-- Columns = toolkit/cloudwatch/schema.py ANOMALIES_SCHEMA (the metrics columns + band).
create external table if not exists {{ database }}.anomalies (
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
  unit string,
  expected double,
  lower double,
  upper double,
  score double,
  is_anomaly boolean
)
partitioned by (dt string)
stored as parquet
location '{{ lake }}/cloudwatch/anomalies/'
tblproperties (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2010-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '{{ lake }}/cloudwatch/anomalies/dt=${dt}/'
)
