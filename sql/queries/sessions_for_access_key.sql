-- description: >
--   Where an access key came from and what it was used to obtain: the STS call that issued the
--   key (relation 'issued') and the sessions its holder opened with it ('used_to_assume').
--   Rerun on caller_access_key_id of the 'issued' row to walk a role chain back to its origin.
-- params:
--   access_key: {type: access_key_id, description: "access key id, e.g. ASIAY34FZKBOKMUTVV7A"}
--   start: {type: date, description: first day (YYYY-MM-DD)}
--   end: {type: date, description: "last day (YYYY-MM-DD), inclusive"}
with

issued as (

    select 'issued' as relation, *
    from cur_identity_sessions
    where dt between :start and :end
        and issued_access_key_id = :access_key

),

used_to_assume as (

    select 'used_to_assume' as relation, *
    from cur_identity_sessions
    where dt between :start and :end
        and caller_access_key_id = :access_key

),

final as (

    select * from issued
    union all
    select * from used_to_assume

)

select
    relation,
    event_time,
    event_id,
    event_name,
    caller_principal,
    caller_access_key_id,
    role_arn,
    role_session_name,
    source_identity,
    issued_access_key_id,
    session_arn,
    source_ip_address
from final
order by event_time, event_id
