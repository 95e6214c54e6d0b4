-- Each successful change (cur_resource_changes) paired with the anomaly-scored metric series of
-- the same resource, account and region (anomalies), within :window_s seconds around it:
-- counts of points and anomalous points before/after the change, the lag of the first anomaly
-- after it, and the mean |z| (capped at 20) of those anomalies. toolkit.forensics.impact scores
-- and ranks the pairs. Athena binds parameters only in WHERE clauses, so the "recent" window
-- (:recent_s before the change) is its own filtered step, joined back.
with

changes as (

    select
        event_id, event_time, event_source, event_name, principal_arn, resource_id,
        resource_type, recipient_account_id, aws_region
    from cur_resource_changes
    where dt between :start and :end
        and succeeded
        and resource_id is not null

),

points as (

    select
        account_id, region, namespace, metric_name, dimensions, resource_id, stat, period_s,
        "timestamp", value, score, is_anomaly
    from anomalies
    where dt between :points_start and :points_end
        and resource_id in (select resource_id from changes)

),

paired as (

    select
        c.*, p.namespace, p.metric_name, p.dimensions, p.stat, p.period_s, p.value, p.score,
        p.is_anomaly, to_unixtime(p."timestamp") - to_unixtime(c.event_time) as lag_s
    from changes as c
    join points as p
        on p.resource_id = c.resource_id
        and p.account_id = c.recipient_account_id
        and p.region = c.aws_region

),

in_window as (

    select * from paired
    where abs(lag_s) <= :window_s

),

recent as (

    select
        event_id, resource_id, namespace, metric_name, dimensions, stat, period_s,
        count(*) as points_recent_before,
        count_if(is_anomaly) as anomalies_recent_before
    from in_window
    where lag_s <= 0 and lag_s > -:recent_s
    group by event_id, resource_id, namespace, metric_name, dimensions, stat, period_s

),

per_pair as (

    select
        event_id, event_time, event_source, event_name, principal_arn, resource_id,
        resource_type, recipient_account_id as account_id, aws_region as region, namespace,
        metric_name, dimensions, stat, period_s,
        count_if(lag_s > 0) as points_after,
        count_if(lag_s > 0 and is_anomaly) as anomalies_after,
        count_if(lag_s <= 0) as points_before,
        count_if(lag_s <= 0 and is_anomaly) as anomalies_before,
        min(case when lag_s > 0 and is_anomaly then lag_s end) as first_anomaly_lag_s,
        avg(case when lag_s > 0 and is_anomaly then least(abs(score), 20) end) as magnitude,
        avg(case when lag_s > 0 then value end) as mean_after,
        avg(case when lag_s <= 0 then value end) as mean_before
    from in_window
    group by event_id, event_time, event_source, event_name, principal_arn, resource_id,
        resource_type, recipient_account_id, aws_region, namespace, metric_name, dimensions,
        stat, period_s
    having count_if(lag_s > 0 and is_anomaly) > 0

),

final as (

    select
        p.event_id, p.event_time, p.event_source, p.event_name, p.principal_arn, p.resource_id,
        p.resource_type, p.account_id, p.region, p.namespace, p.metric_name, p.dimensions,
        p.stat, p.period_s, p.points_after, p.anomalies_after, p.points_before,
        p.anomalies_before,
        coalesce(r.points_recent_before, 0) as points_recent_before,
        coalesce(r.anomalies_recent_before, 0) as anomalies_recent_before,
        p.first_anomaly_lag_s, p.magnitude, p.mean_after, p.mean_before
    from per_pair as p
    left join recent as r
        on r.event_id = p.event_id
        and r.resource_id = p.resource_id
        and r.namespace = p.namespace
        and r.metric_name = p.metric_name
        and r.dimensions = p.dimensions
        and r.stat = p.stat
        and r.period_s = p.period_s

)

select * from final
