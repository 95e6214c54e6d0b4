-- insights: CloudTrail Insights events, written by the ingest under <lake>/cloudtrail/insights/dt=YYYY-MM-DD/.
-- Columns mirror toolkit.cloudtrail.insights.INSIGHTS_SCHEMA (tests/sql/test_sql_ddl.py proves it);
-- `record` keeps the exact original JSON of each Insights record.
create external table if not exists {{ database }}.insights (
    `event_id` string,
    `event_time` timestamp,
    `event_name` string,
    `event_source` string,
    `aws_region` string,
    `recipient_account_id` string,
    `insight_type` string,
    `state` string,
    `record` string,
    `source_file` string
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/cloudtrail/insights/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/cloudtrail/insights/dt=${dt}/'
)
