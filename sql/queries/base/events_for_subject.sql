-- Every event of one subject in a window, oldest first: the shared base of events_for_*.
-- Each query fills the subject condition with the fragment subject_<kind> of sql/fragments.yml,
-- the same condition the forensic timeline (forensics/subject_events) selects a subject's
-- events with, over the same staging view: both return the same events for the same window.
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
from stg_events
where dt between :start and :end
    and ({{ subject_condition }})
order by event_time, event_id
