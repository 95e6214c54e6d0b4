"""Blast radius: which resources the subject (and the credentials it issued) read and changed.

Calls are split into succeeded and denied (``access_denied``, as the timeline defines it), per
service and per resource: a service where every call was denied was probed, not touched.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.forensics.source import Source

if TYPE_CHECKING:
    import polars as pl

# Request parameters that name the resource a call acts on, when the record has no
# ``resources`` list (most management events). Path -> how the value is shown.
RESOURCE_PARAMETERS = {
    "$.bucketName": "s3://{}",
    "$.instanceId": "{}",
    "$.instancesSet.items[0].instanceId": "{}",
    "$.groupId": "{}",
    "$.snapshotId": "{}",
    "$.volumeId": "{}",
    "$.imageId": "{}",
    "$.userName": "iam-user/{}",
    "$.roleName": "iam-role/{}",
    "$.policyArn": "{}",
    "$.functionName": "lambda/{}",
    "$.dBInstanceIdentifier": "rds/{}",
    "$.keyId": "kms/{}",
    "$.secretId": "secret/{}",
    "$.name": "{}",
    "$.trailName": "trail/{}",
    "$.detectorId": "guardduty/{}",
    "$.loadBalancerArn": "{}",
}

FINDINGS_SQL = """
select finding_id, rule_id, title, severity, tactic, technique, event_ids, principal_arn,
       access_key_id, source_ip_address, account_id, region, first_seen, last_seen,
       event_count, details
from findings
where dt between :start and :end
order by first_seen, rule_id
"""


def resource_expr() -> pl.Expr:
    """Per event: its resources' ARNs, or else the identifiers its request parameters name."""
    import polars as pl

    params = pl.concat_list([
        pl.format(template,
                  pl.col("request_parameters").str.json_path_match(path))
        for path, template in RESOURCE_PARAMETERS.items()
    ]).list.drop_nulls()
    object_key = pl.format("s3://{}/{}",
                           pl.col("request_parameters").str.json_path_match("$.bucketName"),
                           pl.col("request_parameters").str.json_path_match("$.key"))
    from_params = pl.when(object_key.is_not_null()).then(pl.concat_list(object_key)).otherwise(params)
    arns = pl.col("resource_arns").list.drop_nulls()
    return (pl.when(arns.list.len() > 0).then(arns).otherwise(from_params)
            .list.unique().alias("resource"))


def blast_radius(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resources read and changed (one row per service/access/resource) and a per-service sum."""
    import polars as pl

    from toolkit.forensics.tables import BLAST_SCHEMA, SERVICE_SCHEMA

    if events.is_empty():
        return pl.DataFrame(schema=BLAST_SCHEMA), pl.DataFrame(schema=SERVICE_SCHEMA)
    touched = (events
               .with_columns(resource_expr(),
                             pl.col("event_source").str.replace(r"\.amazonaws\.com$", "").alias("service"),
                             pl.when(pl.col("read_only")).then(pl.lit("read"))
                             .otherwise(pl.lit("change")).alias("access"))
               .explode("resource")
               .filter(pl.col("resource").is_not_null()))
    resources = (touched.group_by("service", "access", "resource")
                 .agg(pl.len().cast(pl.Int64).alias("events"),
                      pl.col("error_code").is_null().sum().cast(pl.Int64).alias("succeeded"),
                      pl.col("access_denied").sum().cast(pl.Int64).alias("denied"),
                      pl.col("error_code").is_not_null().sum().cast(pl.Int64).alias("errors"),
                      pl.col("event_name").unique().sort().alias("actions"),
                      pl.col("event_time").min().alias("first_seen"),
                      pl.col("event_time").max().alias("last_seen"))
                 .select(list(BLAST_SCHEMA)).cast(BLAST_SCHEMA)
                 .sort(["access", "service", "events", "resource"], descending=[False, False, True, False]))
    by_service = (events.with_columns(
                      pl.col("event_source").str.replace(r"\.amazonaws\.com$", "").alias("service"))
                  .group_by("service")
                  .agg(pl.col("read_only").sum().alias("read_events"),
                       (~pl.col("read_only").fill_null(False)).sum().alias("change_events"),
                       pl.col("error_code").is_not_null().sum().alias("error_events"),
                       pl.col("error_code").is_null().sum().alias("succeeded_events"),
                       pl.col("access_denied").sum().alias("denied_events")))
    counts = (resources.filter(pl.col("succeeded") > 0)  # touched at least once
              .group_by("service")
              .agg((pl.col("access") == "read").sum().alias("resources_read"),
                   (pl.col("access") == "change").sum().alias("resources_changed")))
    summary = (by_service.join(counts, on="service", how="left")
               .with_columns(pl.col("resources_read", "resources_changed").fill_null(0))
               .select(list(SERVICE_SCHEMA)).cast(SERVICE_SCHEMA)
               .sort(["succeeded_events", "change_events", "read_events"], descending=True))
    return resources, summary


def findings_in_window(source: Source, start: dt.date, end: dt.date, *, event_ids: set,
                       keys: set, principals: set, ips: set) -> pl.DataFrame:
    """Findings of the window that concern the subject (its events, keys, principals or IPs).

    The findings table is small (one row per finding), so it is read for the window and
    matched here rather than by binding thousands of event ids into SQL.
    """
    import polars as pl

    from toolkit.detections.schema import FINDINGS_SCHEMA

    found = source.query(FINDINGS_SQL, {"start": start.isoformat(), "end": end.isoformat()})
    if found.is_empty():
        return pl.from_arrow(FINDINGS_SCHEMA.empty_table())
    cited = set(found.select("finding_id", "event_ids").explode("event_ids")
                .filter(_among("event_ids", event_ids))
                ["finding_id"])
    related = _among("finding_id", cited)
    for column, values in (("access_key_id", keys), ("principal_arn", principals),
                           ("source_ip_address", ips)):
        related = related | _among(column, values)
    return found.filter(related.fill_null(False))


def _among(column: str, values: set) -> pl.Expr:
    """``column`` is one of ``values`` (a string set)."""
    import polars as pl

    return pl.col(column).is_in(pl.Series(sorted(values), dtype=pl.String).implode())
