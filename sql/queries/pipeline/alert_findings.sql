-- The day's findings worth an alert (critical first, then high), for the daily DAG's alert task.
select
    finding_id, rule_id, title, severity, principal_arn, source_ip_address, event_count
from findings
where dt = :day
    and severity in ('critical', 'high')
order by case severity when 'critical' then 0 else 1 end, rule_id, finding_id
