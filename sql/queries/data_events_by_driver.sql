-- Data events by who and what generated them (event category as cur_logging_volume_daily).
with

data_events as (

    select
        event_source,
        coalesce(principal_arn, invoked_by, identity_type, 'unknown') as principal,
        json_extract_scalar(request_parameters, '$.bucketName') as bucket
    from events
    where dt between :start and :end
        and coalesce(event_category,
                     case when management_event = false then 'Data' else 'Management' end) = 'Data'

),

final as (

    select event_source, principal, bucket, count(*) as events
    from data_events
    group by event_source, principal, bucket

)

select * from final
