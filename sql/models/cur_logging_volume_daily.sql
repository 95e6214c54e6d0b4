-- cur_logging_volume_daily: how many events each account, region and service logs per day,
-- split the way CloudTrail bills them: management vs data events, read vs write.
-- The cost analysis multiplies these counts by the dated prices in toolkit/cost/.

with

day_events as (

    select
        event_source,
        aws_region,
        error_code,
        read_write,
        event_category,
        management_event,
        recipient_account_id,
        principal
    from stg_events
    where dt = :day

),

classified as (

    select
        *,
        -- eventCategory exists since eventVersion 1.08; before it, managementEvent tells
        coalesce(
            event_category,
            case when management_event = false then 'Data' else 'Management' end
        ) as category,
        -- stg_events.read_write: readOnly, or by API name for an API call without it; null
        -- only for a non-API event without readOnly
        coalesce(read_write, 'unknown') as read_write_billed
    from day_events

),

final as (

    select
        recipient_account_id,
        aws_region,
        event_source,
        category as event_category,
        read_write_billed as read_write,
        count(*) as events,
        count_if(error_code is not null) as error_events,
        count(distinct principal) as distinct_principals
    from classified
    group by recipient_account_id, aws_region, event_source, category, read_write_billed

)

select * from final
