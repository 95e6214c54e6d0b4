select
    dt,
    finding_id,
    rule_id,
    title,
    severity,
    tactic,
    technique,
    event_ids,
    principal_arn,
    access_key_id,
    source_ip_address,
    account_id,
    region,
    first_seen,
    last_seen,
    event_count,
    details
from findings
where dt between :start and :end
order by first_seen, rule_id
