-- stg_events: one row per CloudTrail event with every concept the curated models, detections,
-- forensic pivots and reports share, each defined HERE and nowhere else:
--   principal, principal_type, session_key, role_session_name  (who acted, with which session)
--   outcome                                                      (succeeded | denied | failed)
--   service, read_write, read_only_source, mutating              (what kind of call)
--   credential_issued                                            (the call issues credentials)
-- Resources a call touched (one row per event and resource) are stg_event_resources.
--
-- A VIEW, not a materialized model: every column is a cheap expression over one events row,
-- so a view costs no storage, no daily build and can never be stale; `where dt = ...` on the
-- view prunes the events partitions on both engines (DuckDB: a view over `events`, created by
-- toolkit.engines.staging; Athena: `create or replace view`, same module). No :day parameter.

with

events_of as (

    select * from events

),

identified as (

    select
        *,
        -- principal: who acted, independent of the key used. The ARN when CloudTrail records
        -- one; an AWS service acting on its own has none, so its invokedBy name stands in; then
        -- the user name (federated and failed console sign-ins), the principal id, the type.
        coalesce(
            nullif(principal_arn, ''), nullif(invoked_by, ''), nullif(user_name, ''),
            nullif(principal_id, ''), nullif(identity_type, ''), 'unknown'
        ) as principal,
        identity_type as principal_type,
        -- the session name of an assumed-role ARN (arn:aws:sts::<acct>:assumed-role/<role>/<name>)
        -- (nullif: DuckDB's regexp_extract gives '' where Athena's gives null on no match)
        nullif(regexp_extract(principal_arn, '^arn:[^:]+:sts::[0-9]*:assumed-role/[^/]+/(.+)$', 1), '')
            as role_session_name,
        -- outcome: what the call achieved, from its errorCode.
        --   succeeded  no errorCode (and not a failed console sign-in)
        --   denied     authorization or authentication refused: AccessDenied*,
        --              *UnauthorizedOperation (EC2's Client.UnauthorizedOperation),
        --              *UnauthorizedAccess*, Forbidden, SNS/Cognito AuthorizationError /
        --              NotAuthorized, invalid or expired credentials
        --   failed     any other error: *NotFound, throttling, limits, validation, and console
        --              sign-ins answered "Failure" (CloudTrail logs those without errorCode)
        case
            when error_code is null or error_code = ''
                then case
                    when json_extract_scalar(response_elements, '$.ConsoleLogin') = 'Failure'
                        then 'failed'
                    else 'succeeded'
                end
            when error_code like '%AccessDenied%'
                or error_code like '%UnauthorizedOperation'
                or error_code like '%UnauthorizedAccess%'
                or error_code in (
                    'Forbidden', 'AuthorizationError', 'AuthorizationErrorException',
                    'NotAuthorized', 'NotAuthorizedException', 'Client.AuthFailure', 'AuthFailure',
                    'InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClientException',
                    'ExpiredToken', 'ExpiredTokenException'
                )
                then 'denied'
            else 'failed'
        end as outcome,
        -- service: the event source without its domain (s3.amazonaws.com -> s3)
        regexp_replace(event_source, '\.amazonaws\.com$', '') as service,
        -- credential_issued: the call issues credentials. 'temporary': the STS calls that return
        -- temporary credentials (they change no resource); 'long_term': the IAM calls that
        -- create an access key, a user or a console password. stg_credential_issuance lists
        -- these calls with what they issued.
        case
            when event_source = 'sts.amazonaws.com'
                and event_name in ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity',
                                   'GetSessionToken', 'GetFederationToken')
                then 'temporary'
            when event_source = 'iam.amazonaws.com'
                and event_name in ('CreateAccessKey', 'CreateUser', 'CreateLoginProfile',
                                   'UpdateLoginProfile')
                then 'long_term'
        end as credential_issued
    from events_of

),

classified as (

    select
        *,
        -- read_only_source: where read_write comes from. 'logged': the record's readOnly.
        -- 'api_name': an API call whose record has no readOnly (AWS documents the field as
        -- optional; the 2017 records in tests/fixtures/cloudtrail/trailscraper, eventVersion
        -- 1.05, lack it), classified by its API name below. NULL: neither (a non-API event
        -- without readOnly).
        case
            when read_only is not null then 'logged'
            when event_type = 'AwsApiCall' then 'api_name'
        end as read_only_source,
        -- read_write: readOnly as CloudTrail logged it; without readOnly, an API call is 'read'
        -- when its name starts with a read verb (Get, List, Describe, ...) or it only issues
        -- temporary credentials (CloudTrail logs AssumeRole with readOnly true), else 'write'.
        case
            when read_only then 'read'
            when not read_only then 'write'
            when event_type = 'AwsApiCall' then
                case
                    when credential_issued = 'temporary'
                        or regexp_like(event_name, '^(Get|List|Describe|Head|Lookup|Search|Query|Scan|BatchGet|Check|Test|Validate|Preview|Estimate|View|Select)')
                        then 'read'
                    else 'write'
                end
        end as read_write
    from identified

),

changed as (

    select
        *,
        -- mutating: an API call that may have changed a resource: a 'write' call (logged or by
        -- its API name), except the STS calls that only issue temporary credentials (they are
        -- credential issuance, stg_credential_issuance, not resource changes).
        coalesce(event_type = 'AwsApiCall' and read_write = 'write'
                 and credential_issued is distinct from 'temporary', false) as mutating
    from classified

),

final as (

    select
        *,
        -- session_key: the actor session a call belongs to. An STS role session and a console
        -- session each sign with their own temporary access key; an IAM user's long-lived key
        -- is its own session; calls without a key fall back to the principal (root, an AWS
        -- service, an anonymous caller). One stolen key used from fifty IPs is one actor.
        coalesce(nullif(access_key_id, ''), principal) as session_key
    from changed

)

select * from final
