-- cur_console_logins: AWS Management Console sign-ins (ConsoleLogin events): who, from where,
-- success or failure, and whether MFA was used. Root sign-ins and sign-ins without MFA are the CIS
-- monitoring questions; failures from one IP are brute-force attempts.
-- Grain: one row per ConsoleLogin event (event_id) per day.
-- Columns mirror sql/models/cur_console_logins.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_console_logins (
    `event_id` string,
    `event_time` timestamp,
    `recipient_account_id` string,
    `aws_region` string,
    `identity_type` string,
    `principal_arn` string,
    `user_name` string,
    `session_issuer_arn` string,
    `login_result` string,
    `succeeded` boolean,
    `mfa_used` boolean,
    `is_root` boolean,
    `is_sso` boolean,
    `login_to` string,
    `source_ip_address` string,
    `user_agent` string,
    `error_message` string
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_console_logins/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_console_logins/dt=${dt}/'
)
