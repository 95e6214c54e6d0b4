with

activity as (

    select
        recipient_account_id,
        principal,
        max(identity_type) as identity_type,
        cast(sum(calls) as bigint) as calls,
        cast(sum(errors) as bigint) as errors,
        cast(sum(access_denied) as bigint) as access_denied,
        max(distinct_services) as max_daily_services,
        max(distinct_source_ips) as max_daily_source_ips,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from cur_principal_activity_daily
    where dt between :start and :end
    group by recipient_account_id, principal

),

ranked as (

    select
        *,
        row_number() over (order by calls desc, principal) as rank
    from activity

)

select *
from ranked
where rank <= :top
order by rank
