-- description: Every event a principal (IAM user, role session, root) made in a window, oldest first.
-- params:
--   principal: {type: arn, description: "principal ARN, e.g. arn:aws:iam::123456789012:user/alice"}
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
    and principal_arn = :principal
order by event_time, event_id
