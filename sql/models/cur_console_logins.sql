-- cur_console_logins: every AWS console sign-in attempt, successful or not, with MFA use.
-- The outcome is in responseElements.ConsoleLogin ('Success' / 'Failure'); MFA use and the
-- target URL are in additionalEventData (MFAUsed 'Yes' / 'No', LoginTo).

with

sign_ins as (

    select
        event_id,
        event_time,
        aws_region,
        source_ip_address,
        user_agent,
        error_message,
        recipient_account_id,
        identity_type,
        principal_arn,
        user_name,
        session_issuer_arn,
        response_elements,
        additional_event_data,
        outcome
    from stg_events
    where dt = :day
        and event_name = 'ConsoleLogin'

),

parsed as (

    select
        *,
        json_extract_scalar(response_elements, '$.ConsoleLogin') as login_result,
        json_extract_scalar(additional_event_data, '$.MFAUsed') as mfa_used_flag,
        json_extract_scalar(additional_event_data, '$.LoginTo') as login_to
    from sign_ins

),

final as (

    select
        event_id,
        event_time,
        recipient_account_id,
        aws_region,
        identity_type,
        principal_arn,
        user_name,
        session_issuer_arn,
        login_result,
        -- stg_events.outcome: a sign-in answered 'Failure' (no errorCode) is 'failed'
        outcome = 'succeeded' as succeeded,
        mfa_used_flag = 'Yes' as mfa_used,
        coalesce(identity_type = 'Root', false) as is_root,
        coalesce(principal_arn like '%:assumed-role/AWSReservedSSO_%', false) as is_sso,
        login_to,
        source_ip_address,
        user_agent,
        error_message
    from parsed

)

select * from final
