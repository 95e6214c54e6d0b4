-- cur_logging_volume_daily: how many events each account, region and service logs per day,
-- split the way CloudTrail bills them: management vs data events, read vs write.
-- The cost analysis multiplies these counts by the dated prices in toolkit/cost/.

with

day_events as (

    select
        event_source,
        aws_region,
        error_code,
        read_only,
        event_category,
        management_event,
        recipient_account_id,
        principal_arn,
        invoked_by,
        principal_id,
        identity_type
    from events
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
        case
            when read_only then 'read'
            when not read_only then 'write'
            else 'unknown'
        end as read_write
    from day_events

),

final as (

    select
        recipient_account_id,
        aws_region,
        event_source,
        category as event_category,
        read_write,
        count(*) as events,
        count_if(error_code is not null) as error_events,
        count(distinct coalesce(principal_arn, invoked_by, principal_id, identity_type, 'unknown'))
            as distinct_principals
    from classified
    group by recipient_account_id, aws_region, event_source, category, read_write

)

select * from final
