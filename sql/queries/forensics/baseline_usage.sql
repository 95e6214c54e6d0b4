-- Who used the subject's IPs and user agents during the baseline (the days before the window):
-- the principals an IP or agent is usual for, to mark the subject's ones new or known.
with

subject as (

    select distinct source_ip_address, user_agent
    from stg_events
    where dt between :start and :end
        and ({{ subject_condition }})

),

final as (

    select
        principal_arn, source_ip_address, user_agent, count(*) as events,
        min(event_time) as first_seen, max(event_time) as last_seen
    from stg_events
    where dt between :baseline_start and :baseline_end
        and (source_ip_address in (select source_ip_address from subject)
             or user_agent in (select user_agent from subject))
    group by principal_arn, source_ip_address, user_agent

)

select * from final
