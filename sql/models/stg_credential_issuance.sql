-- stg_credential_issuance: every call that issues a credential or an identity, with what it
-- issued. Which calls those are is stg_events.credential_issued (the STS calls that return
-- temporary credentials, responseElements.credentials, and the IAM calls that create an
-- access key, a user or a console password). cur_identity_sessions (the STS rows, with their
-- details) and the forensic identity chain (toolkit/forensics/chain.py) both read it.
-- A VIEW over stg_events (see stg_events.sql for why).

with

issuing_calls as (

    select *
    from stg_events
    where credential_issued is not null

),

final as (

    select
        dt,
        event_id,
        event_time,
        event_source,
        event_name,
        credential_issued,
        recipient_account_id,
        account_id,
        shared_event_id,
        outcome,
        principal,
        -- who issued it: the caller's key and principal
        access_key_id as parent_key,
        principal_arn as parent_arn,
        -- what was asked for
        json_extract_scalar(request_parameters, '$.roleArn') as role_arn,
        json_extract_scalar(request_parameters, '$.sourceIdentity') as requested_source_identity,
        -- what was issued: a temporary key (STS) or a new long-lived key (IAM CreateAccessKey)
        coalesce(
            json_extract_scalar(response_elements, '$.credentials.accessKeyId'),
            json_extract_scalar(response_elements, '$.accessKey.accessKeyId')
        ) as issued_access_key_id,
        coalesce(
            json_extract_scalar(response_elements, '$.assumedRoleUser.arn'),
            json_extract_scalar(response_elements, '$.federatedUser.arn'),
            json_extract_scalar(response_elements, '$.user.arn')
        ) as issued_arn,
        coalesce(
            json_extract_scalar(response_elements, '$.accessKey.userName'),
            json_extract_scalar(request_parameters, '$.userName')
        ) as target_user
    from issuing_calls

)

select * from final
