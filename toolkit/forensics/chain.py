"""Identity chain: follow credentials from a key or principal to where they came from and went.

A chain is a small graph. Nodes are access keys, principals (IAM users, assumed-role sessions,
roles, root) and source identities; edges are how one led to the next:

* ``used_key``           principal -> access key (the key signed that principal's calls)
* ``session_of``         assumed-role session -> its role
* ``assume_role`` / ``session_token`` / ``federation_token``
                         key -> temporary key issued by STS (``responseElements.credentials``)
* ``created_access_key`` key -> the access key it created (``CreateAccessKey``)
* ``created_user`` / ``created_login_profile``  key -> IAM user it created / gave a console password
* ``set_source_identity`` key -> source identity it set on AssumeRole;
  ``same_source_identity`` source identity -> every key whose sessions carry it

The walk goes up from the subject to its origin (who issued the subject's credentials) and down
to everything the subject's credentials issued, hop by hop, each hop one bound-parameter query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toolkit.forensics.source import Source
from toolkit.forensics.subjects import Subject
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

MAX_ROUNDS = 12          # hops in each direction
MAX_KEYS = 500           # a chain larger than this is reported as truncated
MAX_IP_SEED_KEYS = 50    # an IP subject seeds the chain with at most this many keys

_RELATION = {"AssumeRole": "assume_role", "AssumeRoleWithSAML": "assume_role",
             "AssumeRoleWithWebIdentity": "assume_role", "GetSessionToken": "session_token",
             "GetFederationToken": "federation_token", "CreateAccessKey": "created_access_key",
             "CreateUser": "created_user", "CreateLoginProfile": "created_login_profile",
             "UpdateLoginProfile": "created_login_profile"}

@dataclass
class Chain:
    """The graph under construction; ``frames()`` turns it into polars nodes and edges."""

    nodes: dict[str, dict] = field(default_factory=dict)
    edges: dict[tuple, dict] = field(default_factory=dict)
    truncated: bool = False

    def add_node(self, node_id: str | None, node_type: str, role: str, depth: int) -> bool:
        """Add a node unless known; True if it is new."""
        if not node_id or node_id in self.nodes:
            return False
        self.nodes[node_id] = {"node_id": node_id, "node_type": node_type,
                               "role_in_chain": role, "depth": depth}
        return True

    def add_edge(self, src: str | None, dst: str | None, relation: str, row: dict | None = None,
                 detail: str | None = None) -> None:
        if not src or not dst or src == dst:
            return
        row = row or {}
        self.edges.setdefault((src, dst, relation), {
            "src": src, "dst": dst, "relation": relation, "detail": detail,
            "event_id": row.get("event_id"), "event_time": row.get("event_time"),
            "event_name": row.get("event_name")})

    def keys(self) -> list[str]:
        return sorted(n for n, v in self.nodes.items() if v["node_type"] == "access_key")


def principal_type(arn: str) -> str:
    """Node type of a principal ARN."""
    resource = arn.split(":", 5)[-1]
    for marker, kind in (("assumed-role/", "assumed_role_session"), ("user/", "iam_user"),
                         ("role/", "role"), ("federated-user/", "federated_user")):
        if resource.startswith(marker):
            return kind
    return "root" if resource == "root" else "principal"


def identity_chain(source: Source, subject: Subject, start: dt.date, end: dt.date,
                   seed_keys: list[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Nodes and edges of the subject's identity chain within the window.

    ``seed_keys`` starts an IP subject's chain from the keys seen at that IP. A resource
    subject has no identity chain (empty frames).
    """
    chain = Chain()
    window = {"start": start.isoformat(), "end": end.isoformat()}
    keys, arns, roles = _seeds(subject, seed_keys or [])
    for key in keys:
        chain.add_node(key, "access_key", "subject", 0)
    for arn in arns | roles:
        chain.add_node(arn, principal_type(arn), "subject", 0)
    if keys or arns or roles:
        _walk_up(source, window, chain, set(keys), set(arns), set(roles))
        _walk_down(source, window, chain, set(keys), set(arns), set(roles))
    activity = _activity(source, window, set(chain.keys()), set(), set(), set())
    _add_owners(chain, activity)
    return _frames(chain, activity)


def _seeds(subject: Subject, seed_keys: list[str]) -> tuple[set, set, set]:
    if subject.kind == "access_key":
        return {subject.value}, set(), set()
    if subject.kind == "principal":
        if principal_type(subject.value) == "role":
            return set(), set(), {subject.value}
        return set(), {subject.value}, set()
    if subject.kind == "ip":
        return set(seed_keys[:MAX_IP_SEED_KEYS]), set(), set()
    return set(), set(), set()


def _issuance(source: Source, window: dict, direction: str, **ids: set) -> list[dict]:
    """Issuing calls of the window, ``direction`` ``issued_by`` (down) or ``issuer_of`` (up)."""
    lists = {name: sorted(values) for name, values in ids.items()}
    return source.query(*bound_query("forensics/credential_issuance", fill={"direction": direction},
                                     **window, **lists)).to_dicts()


def _activity(source: Source, window: dict, keys: set, arns: set, roles: set,
              sids: set) -> pl.DataFrame:
    return source.query(*bound_query("forensics/credential_activity", **window, keys=sorted(keys),
                                     arns=sorted(arns), roles=sorted(roles), sids=sorted(sids)))


def _walk_up(source: Source, window: dict, chain: Chain, keys: set, arns: set, roles: set) -> None:
    """From the subject to the credentials that issued it, until the origin."""
    for depth in range(-1, -MAX_ROUNDS - 1, -1):
        if not (keys or arns or roles):
            return
        rows = _issuance(source, window, "issuer_of", keys=keys, arns=arns, roles=roles)
        keys, arns, roles = set(), set(), set()
        for row in rows:
            if chain.add_node(row["parent_key"], "access_key", "ancestor", depth):
                keys.add(row["parent_key"])
            _link_issued(chain, row, "ancestor" if depth < -1 else "subject", depth + 1)
    chain.truncated = chain.truncated or bool(keys)


def _walk_down(source: Source, window: dict, chain: Chain, keys: set, arns: set,
               roles: set) -> None:
    """From the subject to every credential and identity it issued, and what carried on."""
    sids, depth = set(), 0
    while keys or arns or roles or sids:
        depth += 1
        if depth > MAX_ROUNDS or len(chain.keys()) > MAX_KEYS:
            chain.truncated = True
            return
        found = _keys_of(source, window, chain, arns, roles, sids, depth)
        keys |= found
        rows = _issuance(source, window, "issued_by", keys=keys, arns=arns)
        keys, arns, roles, sids = set(), set(), set(), set()
        for row in rows:
            new_key, new_arn, new_sid = _link_issued(chain, row, "descendant", depth)
            if new_key:
                keys.add(row["issued_key"])
            if new_arn and row["event_name"] == "CreateUser":
                arns.add(new_arn)  # a user the chain created: all its keys belong to the chain
            if new_sid:
                sids.add(new_sid)


def _keys_of(source: Source, window: dict, chain: Chain, arns: set, roles: set, sids: set,
             depth: int) -> set:
    """Keys used by these principals / role sessions / source identities (new ones only)."""
    if not (arns or roles or sids):
        return set()
    activity = _activity(source, window, set(), arns, roles, sids)
    found = set()
    for row in activity.unique(["access_key_id", "principal_arn", "source_identity"]).to_dicts():
        key = row["access_key_id"]
        if chain.add_node(key, "access_key", "descendant", depth):
            found.add(key)
        if row["source_identity"] in sids:
            chain.add_edge(_sid_node(row["source_identity"]), key, "same_source_identity")
    return found


def _link_issued(chain: Chain, row: dict, role: str, depth: int) -> tuple:
    """Add what one issuing event produced; return (new key, new user arn, new sid)."""
    relation = _RELATION[row["event_name"]]
    parent = row["parent_key"] or row["parent_arn"]
    new_key = chain.add_node(row["issued_key"], "access_key", role, depth)
    chain.add_edge(parent, row["issued_key"], relation, row, detail=row["role_arn"])
    new_arn = None
    if relation in ("assume_role", "federation_token") and row["issued_arn"]:
        session = row["issued_arn"]
        chain.add_node(session, principal_type(session), role, depth)
        chain.add_edge(session, row["issued_key"], "used_key", row)
        if row["role_arn"]:
            chain.add_node(row["role_arn"], "role", "owner", depth)
            chain.add_edge(session, row["role_arn"], "session_of", row)
    elif relation in ("created_user", "created_login_profile"):
        arn = row["issued_arn"] or (
            f"arn:aws:iam::{row['account_id']}:user/{row['target_user']}" if row["target_user"] else None)
        new_arn = arn if chain.add_node(arn, "iam_user", role, depth) else None
        chain.add_edge(parent, arn, relation, row)
    elif relation == "created_access_key" and row["target_user"]:
        owner = f"arn:aws:iam::{row['account_id']}:user/{row['target_user']}"
        chain.add_node(owner, "iam_user", "owner", depth)
        chain.add_edge(owner, row["issued_key"], "used_key", row)
    sid = row["requested_source_identity"]
    new_sid = None
    if sid:
        new_sid = sid if chain.add_node(_sid_node(sid), "source_identity", role, depth) else None
        chain.add_edge(parent, _sid_node(sid), "set_source_identity", row)
    return new_key, new_arn, new_sid


def _sid_node(value: str) -> str:
    return f"source-identity:{value}"


def _add_owners(chain: Chain, activity: pl.DataFrame) -> None:
    """Principal -> key (``used_key``) and session -> role (``session_of``) edges."""
    for row in activity.unique(["access_key_id", "principal_arn", "session_issuer_arn"]).to_dicts():
        owner, key = row["principal_arn"], row["access_key_id"]
        if not owner:
            continue
        depth = chain.nodes.get(key, {}).get("depth", 0)
        chain.add_node(owner, principal_type(owner), "owner", depth)
        chain.add_edge(owner, key, "used_key")
        if row["session_issuer_arn"] and principal_type(owner) == "assumed_role_session":
            chain.add_node(row["session_issuer_arn"], "role", "owner", depth)
            chain.add_edge(owner, row["session_issuer_arn"], "session_of")


def _frames(chain: Chain, activity: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    import polars as pl

    from toolkit.forensics.tables import EDGE_SCHEMA, NODE_SCHEMA

    stats = _node_stats(activity)
    nodes = pl.DataFrame(list(chain.nodes.values()) or None, schema={
        k: NODE_SCHEMA[k] for k in ("node_id", "node_type", "role_in_chain", "depth")})
    nodes = (nodes.join(stats, on="node_id", how="left")
             .with_columns(pl.col("events").fill_null(0), pl.col("errors").fill_null(0),
                           pl.lit(chain.truncated).alias("chain_truncated"))
             .select(list(NODE_SCHEMA)).cast(NODE_SCHEMA).sort(["depth", "node_type", "node_id"]))
    edges = pl.DataFrame(list(chain.edges.values()) or None, schema=EDGE_SCHEMA)
    return nodes, edges.sort(["event_time", "src", "dst"], nulls_last=True)


def _node_stats(activity: pl.DataFrame) -> pl.DataFrame:
    """Per key and per principal: events, errors, first/last seen, top actions."""
    import polars as pl

    frames = []
    for column in ("access_key_id", "principal_arn"):
        per_action = (activity.filter(pl.col(column).is_not_null())
                      .group_by(column, "event_name")
                      .agg(pl.col("events").sum(), pl.col("errors").sum(),
                           pl.col("first_seen").min(), pl.col("last_seen").max()))
        frames.append(
            per_action.sort("events", descending=True)
            .group_by(column)
            .agg(pl.col("events").sum(), pl.col("errors").sum(),
                 pl.col("first_seen").min(), pl.col("last_seen").max(),
                 (pl.col("event_name") + "×" + pl.col("events").cast(pl.String))
                 .head(8).alias("top_actions"))
            .rename({column: "node_id"}))
    return pl.concat(frames, how="vertical_relaxed").unique("node_id", keep="first")
