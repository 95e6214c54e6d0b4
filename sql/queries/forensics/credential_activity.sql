-- What each credential of an identity chain did: one row per key, principal and API.
-- errors counts the calls that did not succeed (stg_events.outcome denied or failed).
select
    access_key_id, principal_arn, identity_type, session_issuer_arn, source_identity,
    event_name, count(*) as events, count_if(outcome <> 'succeeded') as errors,
    min(event_time) as first_seen, max(event_time) as last_seen
from stg_events
where dt between :start and :end
    and (access_key_id in (:keys) or principal_arn in (:arns) or session_issuer_arn in (:roles)
         or source_identity in (:sids))
group by access_key_id, principal_arn, identity_type, session_issuer_arn, source_identity, event_name
