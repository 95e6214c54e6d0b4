-- cur_identity_sessions: every STS call that issues temporary credentials, with the key it
-- issued, so an access key seen anywhere in the trail can be followed back to its origin:
-- issued_access_key_id (responseElements.credentials.accessKeyId) -> the caller's principal
-- and caller_access_key_id -> that key's own session row, and so on up the role chain.
-- Which calls issue credentials and what they issued is stg_credential_issuance's definition
-- (the forensic identity chain reads it too); this model adds the STS request details.

with

credential_calls as (

    select
        event_id,
        event_time,
        event_source,
        event_name,
        aws_region,
        source_ip_address,
        user_agent,
        error_code,
        recipient_account_id,
        identity_type,
        principal_id,
        principal_arn,
        access_key_id,
        user_name,
        invoked_by,
        session_issuer_arn,
        source_identity,
        request_parameters,
        response_elements,
        principal,
        outcome
    from stg_events
    where dt = :day
        and credential_issued = 'temporary'

),

issuance as (

    select event_id, role_arn, requested_source_identity, issued_access_key_id, issued_arn
    from stg_credential_issuance
    where dt = :day
        and credential_issued = 'temporary'

),

parsed as (

    select
        c.*,
        i.role_arn as requested_role_arn,
        i.requested_source_identity,
        i.issued_access_key_id as issued_key,
        i.issued_arn,
        json_extract_scalar(request_parameters, '$.roleSessionName') as requested_session_name,
        -- GetFederationToken names the federated user in "name"
        json_extract_scalar(request_parameters, '$.name') as federated_user_name,
        json_extract_scalar(request_parameters, '$.durationSeconds') as requested_duration,
        json_extract_scalar(request_parameters, '$.principalArn') as saml_provider_arn,
        json_extract_scalar(request_parameters, '$.serialNumber') as mfa_serial_number,
        json_extract_scalar(response_elements, '$.credentials.expiration') as expiration,
        json_extract_scalar(response_elements, '$.sourceIdentity') as issued_source_identity,
        json_extract_scalar(response_elements, '$.assumedRoleUser.assumedRoleId') as assumed_role_id,
        json_extract_scalar(response_elements, '$.federatedUser.federatedUserId') as federated_user_id,
        json_extract_scalar(response_elements, '$.provider') as web_identity_provider,
        coalesce(
            json_extract_scalar(response_elements, '$.subjectFromWebIdentityToken'),
            json_extract_scalar(response_elements, '$.subject')
        ) as federated_subject
    from credential_calls as c
    join issuance as i
        on i.event_id = c.event_id

),

final as (

    select
        event_id,
        event_time,
        recipient_account_id,
        aws_region,
        event_name,
        -- who asked for the credentials
        principal as caller_principal,
        principal_arn as caller_principal_arn,
        identity_type as caller_identity_type,
        access_key_id as caller_access_key_id,
        user_name as caller_user_name,
        session_issuer_arn as caller_session_issuer_arn,
        source_identity as caller_source_identity,
        invoked_by,
        source_ip_address,
        user_agent,
        -- what they asked for
        requested_role_arn as role_arn,
        coalesce(requested_session_name, federated_user_name) as role_session_name,
        coalesce(issued_source_identity, requested_source_identity) as source_identity,
        try_cast(requested_duration as bigint) as duration_seconds,
        saml_provider_arn,
        web_identity_provider,
        federated_subject,
        mfa_serial_number,
        -- what they got
        issued_key as issued_access_key_id,
        issued_arn as session_arn,
        coalesce(assumed_role_id, federated_user_id) as session_principal_id,
        expiration as credentials_expiration,
        error_code,
        outcome = 'succeeded' as succeeded
    from parsed

)

select * from final
