-- cur_resource_changes: Every mutating API call (stg_events.mutating: readOnly false, or by API
-- name for events without readOnly; not the STS calls that only issue temporary credentials) with
-- each resource it changed, taken from the event's resources[] and from
-- request/response fields that name resources (instance ids incl. instancesSet, security groups,
-- volumes, snapshots, DB identifiers, Lambda functions, load balancers, buckets, IAM
-- users/roles/keys, trails, ...). resource_id uses CloudWatch's dimension values, so changes join
-- to the metrics table on resource_id.
-- Grain: one row per mutating event and changed resource per day (null resource_id when none found).
-- Columns mirror sql/models/cur_resource_changes.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_resource_changes (
    `event_id` string,
    `event_time` timestamp,
    `recipient_account_id` string,
    `aws_region` string,
    `event_source` string,
    `event_name` string,
    `identity_type` string,
    `principal_arn` string,
    `access_key_id` string,
    `source_ip_address` string,
    `user_agent` string,
    `error_code` string,
    `succeeded` boolean,
    `resource_id` string,
    `resource_type` string,
    `resource_arn` string,
    `found_in` string,
    `request_parameters` string
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_resource_changes/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_resource_changes/dt=${dt}/'
)
