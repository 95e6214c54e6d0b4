-- description: >
--   Every event that names a resource in a window: listed in resources[] by ARN, or
--   mentioned in the request parameters (an id such as i-0abc..., a bucket or a DB name).
-- params:
--   resource: {type: string, description: "resource ARN or id, e.g. i-0abc1234def567890"}
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
        read_only,
        request_parameters
from events
where dt between :start and :end
    and (
        contains(transform(resources, r -> r.arn), :resource)
        or strpos(request_parameters, :resource) > 0
    )
order by event_time, event_id
