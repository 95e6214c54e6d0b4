-- cur_logging_volume_daily: Event counts per account, region and service per day, split by event
-- category (Management, Data, NetworkActivity, Insight) and read/write: the input of the
-- CloudTrail cost analysis (management events: first copy free; data events billed per 100,000).
-- Grain: one row per recipient account, region, event source, event category and read/write per day.
-- Columns mirror sql/models/cur_logging_volume_daily.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_logging_volume_daily (
    `recipient_account_id` string,
    `aws_region` string,
    `event_source` string,
    `event_category` string,
    `read_write` string,
    `events` bigint,
    `error_events` bigint,
    `distinct_principals` bigint
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_logging_volume_daily/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_logging_volume_daily/dt=${dt}/'
)
