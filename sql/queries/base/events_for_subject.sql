-- Every event of one subject in a window, oldest first: the shared base of events_for_*.
-- Each query fills the subject condition (a predicate on one bound parameter) and, when it
-- needs more than the common columns, the extra columns: see base/events_for_subject.yml.
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
        read_only{{ extra_columns }}
from events
where dt between :start and :end
    and ({{ subject_condition }})
order by event_time, event_id
