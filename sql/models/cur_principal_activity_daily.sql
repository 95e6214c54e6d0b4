-- cur_principal_activity_daily: what each principal did on one day, in one row.
-- "principal", "denied" and read/write are stg_events' definitions: every event is counted
-- under exactly one principal. read_write is stg_events' (readOnly, or by API name for an API
-- call logged without it); a non-API event without readOnly counts in neither read_calls nor
-- write_calls (count_if over coalesce: DuckDB's count_if over only nulls is null, Athena's is 0).

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
        recipient_account_id,
        identity_type,
        principal_arn,
        access_key_id,
        user_name,
        invoked_by,
        session_issuer_arn,
        principal,
        outcome,
        read_write
    from stg_events
    where dt = :day

),

attributed as (

    select
        *,
        error_code is not null as is_error,
        outcome = 'denied' as is_access_denied,
        coalesce(read_write = 'read', false) as is_read,
        coalesce(read_write = 'write', false) as is_write
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
        count_if(is_read) as read_calls,
        count_if(is_write) as write_calls,
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
