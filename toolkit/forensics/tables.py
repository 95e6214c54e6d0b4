"""Column schemas of the frames an investigation returns (one place, used for empty results)."""

from __future__ import annotations

import polars as pl

_TS = pl.Datetime("us", "UTC")

NODE_SCHEMA = {
    "node_id": pl.String, "node_type": pl.String, "role_in_chain": pl.String, "depth": pl.Int64,
    "events": pl.Int64, "errors": pl.Int64, "first_seen": _TS, "last_seen": _TS,
    "top_actions": pl.List(pl.String), "chain_truncated": pl.Boolean,
}
EDGE_SCHEMA = {
    "src": pl.String, "dst": pl.String, "relation": pl.String, "detail": pl.String,
    "event_id": pl.String, "event_time": _TS, "event_name": pl.String,
}
BLAST_SCHEMA = {
    "service": pl.String, "access": pl.String, "resource": pl.String, "events": pl.Int64,
    "succeeded": pl.Int64, "denied": pl.Int64, "errors": pl.Int64, "actions": pl.List(pl.String), "first_seen": _TS, "last_seen": _TS,
}
SERVICE_SCHEMA = {
    "service": pl.String, "resources_read": pl.Int64, "resources_changed": pl.Int64,
    "read_events": pl.Int64, "change_events": pl.Int64, "error_events": pl.Int64,
    "succeeded_events": pl.Int64, "denied_events": pl.Int64,
}
ROLE_SCHEMA = {
    "role": pl.String, "assumed_by": pl.List(pl.String), "chained": pl.Boolean,
    "sessions": pl.Int64, "temporary_keys": pl.Int64, "first_use": _TS, "last_use": _TS,
    "source_identities": pl.List(pl.String), "events": pl.Int64, "denied": pl.Int64,
    "changes": pl.Int64, "top_actions": pl.List(pl.String),
}
HIGHLIGHT_SCHEMA = {
    "rank": pl.Int64, "risk": pl.String, "kind": pl.String, "first_time": _TS, "what": pl.String,
    "detail": pl.String, "events": pl.Int64, "event_ids": pl.List(pl.String),
}
