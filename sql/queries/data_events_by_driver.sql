-- Data events by who and what generated them (event category as cur_logging_volume_daily;
-- principal as stg_events defines it).
with

data_events as (

    select
        event_source,
        principal,
        json_extract_scalar(request_parameters, '$.bucketName') as bucket
    from stg_events
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
