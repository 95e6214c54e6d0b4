-- cur_principal_activity_daily: what each principal did on one day, in one row.
-- "principal" is the ARN when CloudTrail records one; AWS services acting on their own
-- (userIdentity.type AWSService) have no ARN, so their invokedBy name stands in, then the
-- principal id: every event is counted under exactly one principal.

with

day_events as (

    select
        event_id,
        event_time,
        event_source,
        aws_region,
        source_ip_address,
        user_agent,
        error_code,
        read_only,
        recipient_account_id,
        identity_type,
        principal_id,
        principal_arn,
        access_key_id,
        user_name,
        invoked_by,
        session_issuer_arn
    from events
    where dt = :day

),

attributed as (

    select
        *,
        coalesce(principal_arn, invoked_by, principal_id, identity_type, 'unknown') as principal,
        error_code is not null as is_error,
        coalesce(error_code like '%AccessDenied%' or error_code like '%UnauthorizedOperation%',
                 false) as is_access_denied
    from day_events

),

final as (

    select
        recipient_account_id,
        principal,
        max(principal_arn) as principal_arn,
        max(identity_type) as identity_type,
        max(user_name) as user_name,
        max(session_issuer_arn) as session_issuer_arn,
        max(invoked_by) as invoked_by,
        count(*) as calls,
        count_if(is_error) as errors,
        count_if(is_access_denied) as access_denied,
        count_if(read_only) as read_calls,
        count_if(not read_only) as write_calls,
        count(distinct event_source) as distinct_services,
        count(distinct aws_region) as distinct_regions,
        count(distinct source_ip_address) as distinct_source_ips,
        count(distinct user_agent) as distinct_user_agents,
        count(distinct access_key_id) as distinct_access_keys,
        min(event_time) as first_seen,
        max(event_time) as last_seen
    from attributed
    group by recipient_account_id, principal

)

select * from final
