-- findings: Parquet written under <lake>/findings/dt=YYYY-MM-DD/.
-- Columns mirror toolkit.detections.schema.FINDINGS_SCHEMA (tests/sql/test_sql_ddl.py proves it).
create external table if not exists {{ database }}.findings (
    `finding_id` string,
    `rule_id` string,
    `title` string,
    `severity` string,
    `tactic` string,
    `technique` string,
    `event_ids` array<string>,
    `principal_arn` string,
    `access_key_id` string,
    `source_ip_address` string,
    `account_id` string,
    `region` string,
    `first_seen` timestamp,
    `last_seen` timestamp,
    `event_count` bigint,
    `details` string,
    `outcome` string,
    `session_key` string,
    `rule_source` string
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/findings/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/findings/dt=${dt}/'
)
