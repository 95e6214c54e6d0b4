-- description: Every event from one source IP address in a window.
-- params:
--   ip: {type: ip, description: "IPv4 or IPv6 address, e.g. 203.0.113.10"}
--   start: {type: date, description: first day (YYYY-MM-DD)}
--   end: {type: date, description: "last day (YYYY-MM-DD), inclusive"}
select
        event_time,
        event_id,
        event_source,
        event_name,
        aws_region,
        recipient_account_id,
        principal_arn,
        access_key_id,
        source_ip_address,
        user_agent,
        error_code,
        read_only
from events
where dt between :start and :end
    and source_ip_address = :ip
order by event_time, event_id
