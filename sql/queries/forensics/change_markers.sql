-- The successful changes to one resource between two instants: markers on a metric chart.
select event_time as "timestamp", event_name as label
from cur_resource_changes
where dt between :day_start and :day_end
    and resource_id = :resource_id
    and succeeded
    and event_time between from_iso8601_timestamp(:t0) and from_iso8601_timestamp(:t1)
order by event_time
