select
    dt,
    event_source,
    event_name,
    error_code,
    error_category,
    errors,
    distinct_source_ips,
    sample_error_message,
    first_seen,
    last_seen
from cur_api_errors_daily
where dt between :start and :end
    and principal = :principal
order by dt, errors desc, event_source, event_name, error_code
