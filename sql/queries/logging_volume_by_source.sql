select
    event_source,
    event_category,
    read_write,
    cast(sum(events) as bigint) as events
from cur_logging_volume_daily
where dt between :start and :end
group by event_source, event_category, read_write
