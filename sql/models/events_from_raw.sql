-- events_from_raw: the curated `events` rows of day :day computed inside Athena from the raw
-- delivery files (table cloudtrail_raw), for organizations whose daily volume outgrows one
-- worker (`trailwatch ingest --engine athena`). Same rows as `trailwatch ingest` (tested on
-- DuckDB over the raw fixtures): the day's records from the delivery folders day-1..day+1, one
-- row per eventID (the copy with the smallest source key, then the first in its file).
-- GENERATED from toolkit/cloudtrail/schema.py by toolkit.cloudtrail.raw_sql.events_from_raw_sql;
-- edit the generator, not this file. Differences from the Python ingest: `record` holds the
-- record as Athena re-serializes it (same JSON value, not the delivered bytes: use the Python
-- ingest for byte-exact evidence exports), `source_listed` is NULL (no digest check), and
-- records without eventID or eventTime are dropped here (the Python ingest quarantines them).
with files as (
  -- delivery folders are dated by delivery: events of :day sit in day-1 .. day+1
  select "$path" as path, line
  from cloudtrail_raw
  where day between date_format(date(:day) - interval '1' day, '%Y/%m/%d')
                and date_format(date(:day) + interval '1' day, '%Y/%m/%d')
),

records as (
  select
    substr(path, strpos(path, 'AWSLogs/')) as source_file,
    r.rec,
    r.n - 1 as record_index
  from files
  cross join unnest(cast(json_extract(line, '$.Records') as array(json))) with ordinality as r (rec, n)
),

timed as (
  select
    *,
    cast(from_iso8601_timestamp(json_extract_scalar(rec, '$.eventTime')) as timestamp) as event_time
  from records
),

typed as (
  select
    json_extract_scalar(rec, '$.eventID') as event_id,
    json_extract_scalar(rec, '$.eventVersion') as event_version,
    json_extract_scalar(rec, '$.eventSource') as event_source,
    json_extract_scalar(rec, '$.eventName') as event_name,
    json_extract_scalar(rec, '$.awsRegion') as aws_region,
    json_extract_scalar(rec, '$.sourceIPAddress') as source_ip_address,
    json_extract_scalar(rec, '$.userAgent') as user_agent,
    json_extract_scalar(rec, '$.errorCode') as error_code,
    json_extract_scalar(rec, '$.errorMessage') as error_message,
    cast(json_extract(rec, '$.readOnly') as boolean) as read_only,
    json_extract_scalar(rec, '$.eventType') as event_type,
    json_extract_scalar(rec, '$.eventCategory') as event_category,
    cast(json_extract(rec, '$.managementEvent') as boolean) as management_event,
    json_extract_scalar(rec, '$.recipientAccountId') as recipient_account_id,
    json_extract_scalar(rec, '$.requestID') as request_id,
    json_extract_scalar(rec, '$.sharedEventID') as shared_event_id,
    json_extract_scalar(rec, '$.vpcEndpointId') as vpc_endpoint_id,
    json_extract_scalar(rec, '$.apiVersion') as api_version,
    json_extract_scalar(rec, '$.sessionCredentialFromConsole') as session_credential_from_console,
    case when json_extract(rec, '$.userIdentity') is null then null else cast(row(json_extract_scalar(rec, '$.userIdentity.type'), json_extract_scalar(rec, '$.userIdentity.principalId'), json_extract_scalar(rec, '$.userIdentity.arn'), json_extract_scalar(rec, '$.userIdentity.accountId'), json_extract_scalar(rec, '$.userIdentity.accessKeyId'), json_extract_scalar(rec, '$.userIdentity.userName'), json_extract_scalar(rec, '$.userIdentity.invokedBy'), json_extract_scalar(rec, '$.userIdentity.identityProvider'), json_extract_scalar(rec, '$.userIdentity.credentialId'), case when json_extract(rec, '$.userIdentity.sessionContext') is null then null else cast(row(case when json_extract(rec, '$.userIdentity.sessionContext.attributes') is null then null else cast(row(json_extract_scalar(rec, '$.userIdentity.sessionContext.attributes.creationDate'), json_extract_scalar(rec, '$.userIdentity.sessionContext.attributes.mfaAuthenticated')) as row(creation_date varchar, mfa_authenticated varchar)) end, case when json_extract(rec, '$.userIdentity.sessionContext.sessionIssuer') is null then null else cast(row(json_extract_scalar(rec, '$.userIdentity.sessionContext.sessionIssuer.type'), json_extract_scalar(rec, '$.userIdentity.sessionContext.sessionIssuer.principalId'), json_extract_scalar(rec, '$.userIdentity.sessionContext.sessionIssuer.arn'), json_extract_scalar(rec, '$.userIdentity.sessionContext.sessionIssuer.accountId'), json_extract_scalar(rec, '$.userIdentity.sessionContext.sessionIssuer.userName')) as row(type varchar, principal_id varchar, arn varchar, account_id varchar, user_name varchar)) end, case when json_extract(rec, '$.userIdentity.sessionContext.webIdFederationData') is null then null else cast(row(json_extract_scalar(rec, '$.userIdentity.sessionContext.webIdFederationData.federatedProvider'), json_format(json_extract(rec, '$.userIdentity.sessionContext.webIdFederationData.attributes'))) as row(federated_provider varchar, attributes varchar)) end, json_extract_scalar(rec, '$.userIdentity.sessionContext.sourceIdentity'), json_extract_scalar(rec, '$.userIdentity.sessionContext.ec2RoleDelivery'), json_extract_scalar(rec, '$.userIdentity.sessionContext.assumedRoot')) as row(attributes row(creation_date varchar, mfa_authenticated varchar), session_issuer row(type varchar, principal_id varchar, arn varchar, account_id varchar, user_name varchar), web_id_federation_data row(federated_provider varchar, attributes varchar), source_identity varchar, ec2_role_delivery varchar, assumed_root varchar)) end, case when json_extract(rec, '$.userIdentity.onBehalfOf') is null then null else cast(row(json_extract_scalar(rec, '$.userIdentity.onBehalfOf.userId'), json_extract_scalar(rec, '$.userIdentity.onBehalfOf.identityStoreArn')) as row(user_id varchar, identity_store_arn varchar)) end, json_format(json_extract(rec, '$.userIdentity.inScopeOf'))) as row(type varchar, principal_id varchar, arn varchar, account_id varchar, access_key_id varchar, user_name varchar, invoked_by varchar, identity_provider varchar, credential_id varchar, session_context row(attributes row(creation_date varchar, mfa_authenticated varchar), session_issuer row(type varchar, principal_id varchar, arn varchar, account_id varchar, user_name varchar), web_id_federation_data row(federated_provider varchar, attributes varchar), source_identity varchar, ec2_role_delivery varchar, assumed_root varchar), on_behalf_of row(user_id varchar, identity_store_arn varchar), in_scope_of varchar)) end as user_identity,
    case when json_extract(rec, '$.tlsDetails') is null then null else cast(row(json_extract_scalar(rec, '$.tlsDetails.tlsVersion'), json_extract_scalar(rec, '$.tlsDetails.cipherSuite'), json_extract_scalar(rec, '$.tlsDetails.clientProvidedHostHeader')) as row(tls_version varchar, cipher_suite varchar, client_provided_host_header varchar)) end as tls_details,
    json_format(json_extract(rec, '$.requestParameters')) as request_parameters,
    json_format(json_extract(rec, '$.responseElements')) as response_elements,
    json_format(json_extract(rec, '$.additionalEventData')) as additional_event_data,
    json_format(json_extract(rec, '$.serviceEventDetails')) as service_event_details,
    transform(cast(json_extract(rec, '$.resources') as array(json)), x -> case when json_extract(x, '$') is null then null else cast(row(json_extract_scalar(x, '$.ARN'), json_extract_scalar(x, '$.accountId'), json_extract_scalar(x, '$.type')) as row(arn varchar, account_id varchar, type varchar)) end) as resources,
    event_time,
    source_file,
    record_index,
    cast(null as boolean) as source_listed,
    json_format(rec) as record
  from timed
  where json_extract_scalar(rec, '$.eventID') is not null
    and date(event_time) = date(:day)
),

deduped as (
  -- CloudTrail delivers at least once and org/account trails overlap: keep one copy, chosen
  -- deterministically
  select *, row_number() over (partition by event_id order by source_file, record_index) as copy_n
  from typed
),

final as (
  select
    event_id,
    event_time,
    event_version,
    event_source,
    event_name,
    aws_region,
    source_ip_address,
    user_agent,
    error_code,
    error_message,
    read_only,
    event_type,
    event_category,
    management_event,
    recipient_account_id,
    request_id,
    shared_event_id,
    vpc_endpoint_id,
    api_version,
    session_credential_from_console,
    user_identity,
    user_identity.type as identity_type,
    user_identity.principal_id as principal_id,
    user_identity.arn as principal_arn,
    user_identity.account_id as account_id,
    user_identity.access_key_id as access_key_id,
    user_identity.user_name as user_name,
    user_identity.invoked_by as invoked_by,
    user_identity.session_context.session_issuer.arn as session_issuer_arn,
    user_identity.session_context.session_issuer.user_name as session_issuer_user_name,
    user_identity.session_context.attributes.mfa_authenticated as mfa_authenticated,
    user_identity.session_context.source_identity as source_identity,
    tls_details,
    request_parameters,
    response_elements,
    additional_event_data,
    service_event_details,
    resources,
    source_file,
    record_index,
    source_listed,
    record
  from deduped
  where copy_n = 1
)

select * from final
