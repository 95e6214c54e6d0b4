"""The identity chain collapsed for reading: roles with their sessions, and what was created.

``chain_nodes``/``chain_edges`` hold every temporary key and session (hundreds for a CI role);
a reader needs the structure: principal -> roles it assumed (sessions, keys, first/last use,
source identities) -> what those sessions did, with created users/keys and chained roles
marked. Temporary keys are folded into their role here; the full lists stay in the tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

CREATING = ("created_user", "created_access_key", "created_login_profile")
TOP_ACTIONS = 5


def key_roles(edges: pl.DataFrame) -> dict[str, str]:
    """Temporary key or role session -> the role it belongs to (from used_key/session_of)."""
    import polars as pl

    session_role = dict(edges.filter(pl.col("relation") == "session_of").select("src", "dst").iter_rows())
    members = dict(session_role)
    for session, key in edges.filter(pl.col("relation") == "used_key").select("src", "dst").iter_rows():
        if session in session_role:
            members[key] = session_role[session]
    return members


def roles_table(edges: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """One row per role in the chain: who assumed it, sessions, keys, use, what it did.

    ``events``: the subject's events and those of the credentials it issued (timeline +
    chain_activity). ``chained``: the role was assumed from another role's session.
    """
    import polars as pl

    from toolkit.forensics.tables import ROLE_SCHEMA

    members = key_roles(edges)
    owner = dict(edges.filter(pl.col("relation") == "used_key").select("dst", "src").iter_rows())
    assumed = edges.filter(pl.col("relation") == "assume_role").with_columns(
        pl.col("dst").replace_strict(members, default=None, return_dtype=pl.String).alias("role"),
        pl.col("src").replace_strict(owner, default=None, return_dtype=pl.String).alias("by"))
    assumed = assumed.with_columns(
        pl.coalesce(pl.col("by").replace_strict(members, default=None, return_dtype=pl.String), "by", "src").alias("by"))
    issued = (assumed.filter(pl.col("role").is_not_null()).group_by("role")
              .agg(pl.col("by").drop_nulls().unique().sort().alias("assumed_by"),
                   pl.col("dst").n_unique().alias("assumed"),
                   pl.col("by").str.contains(":assumed-role/|:role/").any().alias("chained")))
    sessions = _session_activity(events)
    if issued.is_empty() and sessions.is_empty():
        return pl.DataFrame(schema=ROLE_SCHEMA)
    roles = (issued.join(sessions, on="role", how="full", coalesce=True)
             .with_columns(pl.col("chained").fill_null(False),
                           pl.col("assumed_by").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                           pl.col("assumed").fill_null(0), pl.col("events").fill_null(0),
                           pl.col("denied").fill_null(0))
             .with_columns(pl.max_horizontal("sessions", "assumed").fill_null(0).alias("sessions")))
    return roles.select(list(ROLE_SCHEMA)).cast(ROLE_SCHEMA).sort(["events", "role"], descending=[True, False])


def _session_activity(events: pl.DataFrame) -> pl.DataFrame:
    """Per role: sessions, temporary keys, first/last use, source identities, top actions."""
    import polars as pl

    calls = events.filter(pl.col("session_issuer_arn").is_not_null()
                          & (pl.col("identity_type") == "AssumedRole"))
    top = (calls.group_by("session_issuer_arn", "event_name").len()
           .sort(["len", "event_name"], descending=[True, False])
           .group_by("session_issuer_arn", maintain_order=True)
           .agg((pl.col("event_name") + "×" + pl.col("len").cast(pl.String)).head(TOP_ACTIONS)
                .alias("top_actions")))
    stats = calls.group_by("session_issuer_arn").agg(
        pl.col("principal_arn").n_unique().alias("sessions"),
        pl.col("access_key_id").n_unique().alias("temporary_keys"),
        pl.col("event_time").min().alias("first_use"), pl.col("event_time").max().alias("last_use"),
        pl.col("source_identity").drop_nulls().unique().sort().alias("source_identities"),
        pl.len().alias("events"), pl.col("access_denied").sum().alias("denied"),
        pl.col("mutating").fill_null(False).sum().alias("changes"))
    return stats.join(top, on="session_issuer_arn", how="left").rename({"session_issuer_arn": "role"})


def created_table(edges: pl.DataFrame) -> pl.DataFrame:
    """Users, access keys and console passwords the chain created, oldest first."""
    import polars as pl

    return (edges.filter(pl.col("relation").is_in(CREATING))
            .select("event_time", pl.col("relation").str.replace("created_", "").alias("created"),
                    pl.col("dst").alias("identity"), pl.col("src").alias("by"), "event_name", "event_id")
            .sort("event_time", nulls_last=True))


def collapsed_chain(nodes: pl.DataFrame, edges: pl.DataFrame,
                    roles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Nodes and edges with every role session and temporary key folded into its role.

    ``same_source_identity`` edges are left out (the role's detail names its source
    identities; drawn, they would run back across the columns).

    Node columns: node_id, node_type, depth, events, members (folded nodes), mark
    (``subject``, ``created``, ``chained`` or ``""``), detail (a one-line description).
    """
    import polars as pl

    members = key_roles(edges)
    created = set(edges.filter(pl.col("relation").is_in(CREATING))["dst"])
    chained = set(roles.filter(pl.col("chained"))["role"]) if roles.height else set()
    role_info = {r["role"]: r for r in roles.to_dicts()}
    folded = nodes.with_columns(pl.col("node_id").replace_strict(members, default=pl.col("node_id"), return_dtype=pl.String).alias("into"))
    grouped = (folded.group_by("into").agg(
        pl.col("node_type").filter(pl.col("node_id") == pl.col("into")).first().alias("own_type"),
        pl.col("depth").min(), pl.col("events").sum(), (pl.len() - 1).alias("members"),
        (pl.col("role_in_chain") == "subject").any().alias("is_subject")))
    rows = []
    for r in grouped.to_dicts():
        node_id = r["into"]
        kind = "role" if node_id in role_info or node_id in members.values() else (r["own_type"] or "principal")
        mark = ("subject" if r["is_subject"] else "created" if node_id in created
                else "chained" if node_id in chained else "")
        rows.append({"node_id": node_id, "node_type": kind, "depth": r["depth"],
                     "events": r["events"], "members": r["members"], "mark": mark,
                     "detail": _detail(kind, role_info.get(node_id), r)})
    cnodes = pl.DataFrame(rows, schema={"node_id": pl.String, "node_type": pl.String, "depth": pl.Int64,
                                        "events": pl.Int64, "members": pl.Int64, "mark": pl.String,
                                        "detail": pl.String})
    cedges = (edges.with_columns(pl.col("src").replace_strict(members, default=pl.col("src"), return_dtype=pl.String),
                                 pl.col("dst").replace_strict(members, default=pl.col("dst"), return_dtype=pl.String))
              .filter((pl.col("src") != pl.col("dst")) & (pl.col("relation") != "same_source_identity"))
              .group_by("src", "dst", "relation").agg(pl.len().alias("count"),
                                                      pl.col("event_time").min().alias("first_time")))
    return cnodes.sort(["depth", "events"], descending=[False, True]), cedges


def _detail(kind: str, role: dict | None, row: dict) -> str:
    if kind == "role" and role:
        text = f"{role['sessions']:,} sessions, {role['temporary_keys'] or 0:,} keys, {role['events']:,} events"
        return text + (f", SI {', '.join(role['source_identities'])}" if role["source_identities"] else "")
    return f"{row['events'] or 0:,} events"
