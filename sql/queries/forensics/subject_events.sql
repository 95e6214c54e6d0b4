-- The subject's events in the window, oldest first: the investigation's timeline. Principal,
-- session, outcome, service, read/write are stg_events' columns; the resources each call touched
-- (canonical resource_id) are stg_event_resources'; access_denied is outcome 'denied'.
with

subject_events as (

    select
        event_time, event_id, event_source, event_name, aws_region, source_ip_address,
        user_agent, error_code, outcome, outcome = 'denied' as access_denied,
        read_only, read_write, mutating, service, principal, session_key,
        identity_type, principal_arn, access_key_id,
        session_issuer_arn, source_identity, invoked_by, account_id, request_parameters,
        response_elements, transform(resources, r -> r.arn) as resource_arns, dt
    from stg_events
    where dt between :start and :end
        and ({{ subject_condition }})

),

touched as (

    select r.event_id, array_agg(r.resource_id order by r.resource_id) as resource_ids
    from stg_event_resources as r
    join subject_events as e on r.event_id = e.event_id and r.dt = e.dt
    where r.dt between :start and :end
    group by r.event_id

),

final as (

    select e.*, t.resource_ids
    from subject_events as e
    left join touched as t on t.event_id = e.event_id

)

select * from final
order by event_time, event_id
