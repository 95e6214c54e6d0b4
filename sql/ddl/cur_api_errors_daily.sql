-- cur_api_errors_daily: Failed API calls per principal, API and error code per day, with a
-- category (access_denied, unauthorized, throttling, other) for the usual questions: who is
-- probing permissions, what is being throttled.
-- Grain: one row per recipient account, principal, API (event source + name) and error code per day.
-- Columns mirror sql/models/cur_api_errors_daily.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_api_errors_daily (
    `recipient_account_id` string,
    `principal` string,
    `event_source` string,
    `event_name` string,
    `error_code` string,
    `error_category` string,
    `principal_arn` string,
    `identity_type` string,
    `errors` bigint,
    `distinct_source_ips` bigint,
    `distinct_regions` bigint,
    `sample_error_message` string,
    `first_seen` timestamp,
    `last_seen` timestamp
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_api_errors_daily/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_api_errors_daily/dt=${dt}/'
)
