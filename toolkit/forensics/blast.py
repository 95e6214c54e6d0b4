"""Blast radius: which resources the subject (and the credentials it issued) read and changed.

Resources are the timeline's ``resource_ids``: the staging view ``stg_event_resources`` (the
one definition of "resource touched", ids as CloudWatch dimensions carry them). Calls are split
by ``outcome`` (``stg_events``) per service and per resource: a service where every call was
denied was probed, not touched. ``errors`` counts the calls that did not succeed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.forensics.source import Source
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

def blast_radius(events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resources read and changed (one row per service/access/resource) and a per-service sum."""
    import polars as pl

    from toolkit.forensics.tables import BLAST_SCHEMA, SERVICE_SCHEMA

    if events.is_empty():
        return pl.DataFrame(schema=BLAST_SCHEMA), pl.DataFrame(schema=SERVICE_SCHEMA)
    succeeded, denied = pl.col("outcome") == "succeeded", pl.col("outcome") == "denied"
    touched = (events
               .with_columns(pl.col("resource_ids").alias("resource"),
                             pl.when(pl.col("read_write") == "read").then(pl.lit("read"))
                             .otherwise(pl.lit("change")).alias("access"))
               .explode("resource")
               .filter(pl.col("resource").is_not_null()))
    resources = (touched.group_by("service", "access", "resource")
                 .agg(pl.len().cast(pl.Int64).alias("events"),
                      succeeded.sum().cast(pl.Int64).alias("succeeded"),
                      denied.sum().cast(pl.Int64).alias("denied"),
                      (~succeeded).sum().cast(pl.Int64).alias("errors"),
                      pl.col("event_name").unique().sort().alias("actions"),
                      pl.col("event_time").min().alias("first_seen"),
                      pl.col("event_time").max().alias("last_seen"))
                 .select(list(BLAST_SCHEMA)).cast(BLAST_SCHEMA)
                 .sort(["access", "service", "events", "resource"], descending=[False, False, True, False]))
    by_service = (events.group_by("service")
                  .agg((pl.col("read_write") == "read").sum().alias("read_events"),
                       (pl.col("read_write") != "read").fill_null(True).sum().alias("change_events"),
                       (~succeeded).sum().alias("error_events"),
                       succeeded.sum().alias("succeeded_events"),
                       denied.sum().alias("denied_events")))
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

    found = source.query(*bound_query("findings_in_window", start=start.isoformat(),
                                      end=end.isoformat())).drop("dt")
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
