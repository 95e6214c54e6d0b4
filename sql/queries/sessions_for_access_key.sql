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
