-- The curated CloudTrail events table written by `trailwatch ingest` (toolkit/cloudtrail/ingest.py)
-- or by `sql/models/events_from_raw.sql` on Athena. Columns = toolkit/cloudtrail/schema.py
-- EVENTS_SCHEMA (a test checks they are equal). Each data file holds a narrow window of delivery
-- time (tight row-group statistics on event_time); inside it rows are clustered by event_source,
-- event_name, principal_arn, event_time (the record text compresses ~20% better).
-- Free-form objects (request_parameters, ...) are compact JSON text; `record` holds each record
-- exactly as delivered (the evidence export writes it), `source_file`/`record_index` where it was,
-- `source_listed` whether a digest lists that file. Partition projection on dt: no MSCK needed.
create external table if not exists {{ database }}.events (
  `event_id` string,
  `event_time` timestamp,
  `event_version` string,
  `event_source` string,
  `event_name` string,
  `aws_region` string,
  `source_ip_address` string,
  `user_agent` string,
  `error_code` string,
  `error_message` string,
  `read_only` boolean,
  `event_type` string,
  `event_category` string,
  `management_event` boolean,
  `recipient_account_id` string,
  `request_id` string,
  `shared_event_id` string,
  `vpc_endpoint_id` string,
  `api_version` string,
  `session_credential_from_console` string,
  `user_identity` struct<type:string,principal_id:string,arn:string,account_id:string,access_key_id:string,user_name:string,invoked_by:string,identity_provider:string,credential_id:string,session_context:struct<attributes:struct<creation_date:string,mfa_authenticated:string>,session_issuer:struct<type:string,principal_id:string,arn:string,account_id:string,user_name:string>,web_id_federation_data:struct<federated_provider:string,attributes:string>,source_identity:string,ec2_role_delivery:string,assumed_root:string>,on_behalf_of:struct<user_id:string,identity_store_arn:string>,in_scope_of:string>,
  `identity_type` string,
  `principal_id` string,
  `principal_arn` string,
  `account_id` string,
  `access_key_id` string,
  `user_name` string,
  `invoked_by` string,
  `session_issuer_arn` string,
  `session_issuer_user_name` string,
  `mfa_authenticated` string,
  `source_identity` string,
  `tls_details` struct<tls_version:string,cipher_suite:string,client_provided_host_header:string>,
  `request_parameters` string,
  `response_elements` string,
  `additional_event_data` string,
  `service_event_details` string,
  `resources` array<struct<arn:string,account_id:string,type:string>>,
  `source_file` string,
  `record_index` bigint,
  `source_listed` boolean,
  `record` string
)
partitioned by (dt string)
stored as parquet
location '{{ lake }}/cloudtrail/events/'
tblproperties (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2010-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '{{ lake }}/cloudtrail/events/dt=${dt}/'
)
