-- cur_identity_sessions: Credential-issuing STS calls (AssumeRole, AssumeRoleWithSAML,
-- AssumeRoleWithWebIdentity, GetSessionToken, GetFederationToken): the caller (principal and the
-- access key it used), the role and session name asked for, the source identity, and the temporary
-- access key issued. Joining issued_access_key_id to any event's access_key_id says where that key
-- came from; repeating the join on caller_access_key_id walks a role chain back to its origin.
-- Grain: one row per credential-issuing STS event (event_id) per day.
-- Columns mirror sql/models/cur_identity_sessions.yml, which `trailwatch build` enforces on what it writes.
create external table if not exists {{ database }}.cur_identity_sessions (
    `event_id` string,
    `event_time` timestamp,
    `recipient_account_id` string,
    `aws_region` string,
    `event_name` string,
    `caller_principal` string,
    `caller_principal_arn` string,
    `caller_identity_type` string,
    `caller_access_key_id` string,
    `caller_user_name` string,
    `caller_session_issuer_arn` string,
    `caller_source_identity` string,
    `invoked_by` string,
    `source_ip_address` string,
    `user_agent` string,
    `role_arn` string,
    `role_session_name` string,
    `source_identity` string,
    `duration_seconds` bigint,
    `saml_provider_arn` string,
    `web_identity_provider` string,
    `federated_subject` string,
    `mfa_serial_number` string,
    `issued_access_key_id` string,
    `session_arn` string,
    `session_principal_id` string,
    `credentials_expiration` string,
    `error_code` string,
    `succeeded` boolean
)
partitioned by (`dt` string)
stored as parquet
location '{{ lake }}/curated/cur_identity_sessions/'
tblproperties (
    'parquet.compression' = 'ZSTD',
    'projection.enabled' = 'true',
    'projection.dt.type' = 'date',
    'projection.dt.format' = 'yyyy-MM-dd',
    'projection.dt.range' = '2013-01-01,NOW',
    'projection.dt.interval' = '1',
    'projection.dt.interval.unit' = 'DAYS',
    'storage.location.template' = '{{ lake }}/curated/cur_identity_sessions/dt=${dt}/'
)
