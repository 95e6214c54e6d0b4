-- description: Failed calls of one principal (ARN, or AWS service name) per day and API in a window.
-- params:
--   principal: {type: string, description: "principal as in cur_principal_activity_daily (ARN or service)"}
--   start: {type: date, description: first day (YYYY-MM-DD)}
--   end: {type: date, description: "last day (YYYY-MM-DD), inclusive"}
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
