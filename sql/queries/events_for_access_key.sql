-- description: Every event signed with one access key (long-term AKIA or temporary ASIA) in a window.
-- params:
--   access_key: {type: access_key_id, description: "access key id, e.g. AKIAIOSFODNN7EXAMPLE"}
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
    and access_key_id = :access_key
order by event_time, event_id
