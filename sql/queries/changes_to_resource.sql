select
    event_time,
    event_id,
    event_source,
    event_name,
    principal_arn,
    access_key_id,
    source_ip_address,
    succeeded,
    error_code,
    resource_id,
    resource_type,
    request_parameters
from cur_resource_changes
where dt between :start and :end
    and (resource_id = :resource or resource_arn = :resource)
order by event_time, event_id
