-- One anomaly-scored metric series (its band and anomalies) between two instants, for a chart.
select "timestamp", value, expected, lower, upper, is_anomaly
from anomalies
where dt between :day_start and :day_end
    and account_id = :account_id
    and region = :region
    and namespace = :namespace
    and metric_name = :metric_name
    and dimensions = :dimensions
    and stat = :stat
    and period_s = :period_s
    and "timestamp" between from_iso8601_timestamp(:t0) and from_iso8601_timestamp(:t1)
order by "timestamp"
