-- cur_api_errors_daily: failed calls per principal and API per day, by error category.
-- Access-denied and unauthorized bursts are the classic sign of a stolen key exploring its
-- permissions; throttling points at runaway automation. Other errors are kept as 'other'
-- so error totals here add up to the errors in cur_principal_activity_daily.

with

failed_calls as (

    select
        event_time,
        event_source,
        event_name,
        aws_region,
        source_ip_address,
        error_code,
        error_message,
        recipient_account_id,
        identity_type,
        principal_arn,
        principal,
        outcome
    from stg_events
    where dt = :day
        and error_code is not null

),

categorized as (

    select
        *,
        -- denied calls are stg_events' outcome 'denied' (the one definition); the split into
        -- unauthorized (EC2/SNS/Cognito wording) and access_denied only names them
        case
            when outcome = 'denied' and (error_code like '%Unauthorized%'
                                         or error_code like '%NotAuthorized%')
                then 'unauthorized'
            when outcome = 'denied'
                then 'access_denied'
            when error_code like '%Throttl%' or error_code like '%RequestLimitExceeded%'
                or error_code like '%TooManyRequests%' or error_code like '%RateExceeded%'
                or error_code = 'SlowDown'
                then 'throttling'
            else 'other'
        end as error_category
    from failed_calls

),

final as (

    select
        recipient_account_id,
        principal,
        event_source,
        event_name,
        error_code,
        max(error_category) as error_category,
        max(principal_arn) as principal_arn,
        max(identity_type) as identity_type,
        count(*) as errors,
        count(distinct source_ip_address) as distinct_source_ips,
        count(distinct aws_region) as distinct_regions,
        min(error_message) as sample_error_message,
        min(event_time) as first_seen,
        max(event_time) as last_seen
    from categorized
    group by recipient_account_id, principal, event_source, event_name, error_code

)

select * from final
