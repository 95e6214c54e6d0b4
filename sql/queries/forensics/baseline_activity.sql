-- What the subject itself did in the baseline days, per hour, API, IP and user agent: for
-- first-seen APIs/IPs/agents and for bursts measured against the subject's own rate.
-- The window [:start, :end] is the baseline days (the subject's condition reads that window).
select
    date_trunc('hour', event_time) as hour, event_name, source_ip_address, user_agent,
    count(*) as events
from stg_events
where dt between :start and :end
    and ({{ subject_condition }})
group by date_trunc('hour', event_time), event_name, source_ip_address, user_agent
