-- cur_principal_activity_daily: Activity of each principal (IAM user, role session, root, AWS
-- service) per day: volume, errors, breadth (services, regions, IPs, user agents, access keys) and
-- first/last seen. Baselines and "new behaviour" questions start here instead of scanning raw
-- events.
-- Grain: one row per recipient account and principal per day (dt).
-- Columns mirror sql/models/cur_principal_activity_daily.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_principal_activity_daily (
    `recipient_account_id` string,
    `principal` string,
    `principal_arn` string,
    `identity_type` string,
    `user_name` string,
    `session_issuer_arn` string,
    `invoked_by` string,
    `calls` bigint,
    `errors` bigint,
    `access_denied` bigint,
    `read_calls` bigint,
    `write_calls` bigint,
    `distinct_services` bigint,
    `distinct_regions` bigint,
    `distinct_source_ips` bigint,
    `distinct_user_agents` bigint,
    `distinct_access_keys` bigint,
    `first_seen` timestamp,
    `last_seen` timestamp
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_principal_activity_daily/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_principal_activity_daily/dt=${dt}/'
)
