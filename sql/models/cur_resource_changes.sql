-- cur_resource_changes: every mutating API call of the day with the resource(s) it changed,
-- for "what changed right before it broke". One row per call and resource; a call whose
-- resource cannot be identified keeps one row with a null resource_id.
-- "Mutating" (a write call, by readOnly or, when absent, by API name; not an STS call that only
-- issues temporary credentials) and the
-- resources a call touched with their canonical, CloudWatch-joinable resource_id are defined
-- once, in stg_events and stg_event_resources.

with

change_events as (

    select
        event_id,
        event_time,
        event_source,
        event_name,
        aws_region,
        source_ip_address,
        user_agent,
        error_code,
        outcome,
        recipient_account_id,
        identity_type,
        principal_arn,
        access_key_id,
        request_parameters
    from stg_events
    where dt = :day
        and mutating

),

touched as (

    select event_id, resource_id, resource_type, resource_arn, found_in
    from stg_event_resources
    where dt = :day
        and mutating  -- the view extracts resources of these events only (filter pushed down)

),

final as (

    select
        c.event_id,
        c.event_time,
        c.recipient_account_id,
        c.aws_region,
        c.event_source,
        c.event_name,
        c.identity_type,
        c.principal_arn,
        c.access_key_id,
        c.source_ip_address,
        c.user_agent,
        c.error_code,
        c.outcome = 'succeeded' as succeeded,
        r.resource_id,
        r.resource_type,
        r.resource_arn,
        r.found_in,
        c.request_parameters
    from change_events as c
    left join touched as r
        on r.event_id = c.event_id

)

select * from final
