"""Writing an investigation out: tables (CSV + Parquet), summary JSON, evidence, and text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from toolkit.lake import Lake, filesystem, join, normalize

if TYPE_CHECKING:
    import polars as pl

    from toolkit.forensics.investigation import Investigation

EVIDENCE_FILES = {"timeline": "evidence-subject.json", "chain_activity": "evidence-chain.json"}


def summarize(inv: Investigation) -> dict:
    """The investigation's key facts as plain JSON types."""
    import polars as pl

    new = inv.indicators.filter(pl.col("new_for_principal"))
    nodes = inv.chain_nodes
    return {
        "subject": {"kind": inv.subject.kind, "value": inv.subject.value},
        "window": {"start": inv.start.isoformat(), "end": inv.end.isoformat(),
                   "baseline_days": inv.baseline_days},
        "events": inv.timeline.height,
        "errors": int(inv.timeline["error_code"].is_not_null().sum()),
        "first_seen": _iso(inv.first_seen),
        "last_seen": _iso(inv.last_seen),
        "principals": sorted(set(inv.timeline["principal_arn"].drop_nulls())),
        "access_keys": sorted(set(inv.timeline["access_key_id"].drop_nulls())),
        "new_ips": new.filter(pl.col("kind") == "ip")["value"].to_list(),
        "new_user_agents": new.filter(pl.col("kind") == "user_agent")["value"].to_list(),
        "identity_chain": {
            "nodes": nodes.height,
            "access_keys": nodes.filter(pl.col("node_type") == "access_key")["node_id"].to_list(),
            "users": nodes.filter(pl.col("node_type") == "iam_user")["node_id"].to_list(),
            "roles": nodes.filter(pl.col("node_type") == "role")["node_id"].to_list(),
            "truncated": bool(nodes["chain_truncated"].any()) if nodes.height else False,
            "descendant_events": inv.chain_activity.height,
        },
        "blast_radius": {
            "resources_read": int((inv.blast_radius["access"] == "read").sum()),
            "resources_changed": int((inv.blast_radius["access"] == "change").sum()),
            "services": inv.blast_by_service["service"].to_list(),
        },
        "findings": {sev: int(n) for sev, n in
                     inv.findings.group_by("severity").len().iter_rows()} if inv.findings.height else {},
        "files": dict(inv.paths),
    }


def write(inv: Investigation, lake: Lake, out: str) -> dict[str, str]:
    """Write every table as CSV and Parquet, the evidence export and ``summary.json``."""
    out = normalize(out)
    fs = filesystem(out, lake.endpoint_url)
    fs.makedirs(out, exist_ok=True)
    for name, frame in inv.tables().items():
        inv.paths[f"{name}.parquet"] = _write_frame(fs, join(out, f"{name}.parquet"), frame, "parquet")
        inv.paths[f"{name}.csv"] = _write_frame(fs, join(out, f"{name}.csv"), frame, "csv")
    for name, filename in EVIDENCE_FILES.items():
        frame = getattr(inv, name)
        inv.paths[filename] = join(out, filename)
        count = write_evidence(lake, inv, evidence_filters(inv, name), fs, inv.paths[filename])
        if count != frame.height:
            raise RuntimeError(f"evidence export wrote {count} records for {frame.height} events "
                               f"({filename}); the lake changed during the investigation, rerun it")
    inv.paths["summary.json"] = join(out, "summary.json")
    _atomic(fs, inv.paths["summary.json"],
            json.dumps(summarize(inv), indent=2, default=str).encode())
    return inv.paths


def evidence_filters(inv: Investigation, table: str) -> list[tuple[str, str]]:
    """Export filters selecting exactly the rows of ``table`` (``timeline``/``chain_activity``).

    The subject's own column when one selects the same rows as the timeline, else event ids.
    """
    frame = getattr(inv, table)
    if frame.is_empty():
        return []
    if table == "chain_activity":
        return [("access_key_id", key) for key in sorted(set(frame["access_key_id"]))]
    column = {"access_key": "access_key_id", "ip": "source_ip_address"}.get(inv.subject.kind)
    if inv.subject.kind == "principal" and set(frame["principal_arn"]) == {inv.subject.value}:
        column = "principal_arn"
    if column:
        return [(column, inv.subject.value)]
    return [("event_id", event_id) for event_id in sorted(set(frame["event_id"]))]


def write_evidence(lake: Lake, inv: Investigation, filters: list[tuple[str, str]], fs,
                   url: str) -> int:
    """Original CloudTrail records matching ``filters`` as ``{"Records": [...]}``; the count.

    Streams through the ingest's export into a file aside, then moves it in place.
    """
    import os
    import tempfile

    from toolkit.cloudtrail import export_records
    from toolkit.cloudtrail.export import write_export

    records = export_records(lake, inv.start, inv.end, filters) if filters else iter(())
    local = not url.startswith("s3://")
    fd, tmp = tempfile.mkstemp(suffix=".json", dir=os.path.dirname(url) if local else None)
    os.close(fd)
    try:
        count = write_export(records, tmp, "cloudtrail")
        if local:
            os.replace(tmp, url)
        else:
            fs.put_file(tmp, url)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return count


def _write_frame(fs, url: str, frame: pl.DataFrame, kind: str) -> str:
    import io

    import polars as pl

    buffer = io.BytesIO()
    if kind == "parquet":
        frame.write_parquet(buffer, compression="zstd")
    else:  # CSV has no lists or structs: nested values become JSON text
        nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct))]
        flat = frame.with_columns(pl.col(n).map_elements(_json_text, return_dtype=pl.String)
                                  for n in nested)
        flat.write_csv(buffer)
    _atomic(fs, url, buffer.getvalue())
    return url


def _json_text(value) -> str:
    return json.dumps(value.to_list() if hasattr(value, "to_list") else value, default=str)


def _atomic(fs, url: str, data: bytes) -> None:
    from toolkit.lake import write_bytes_atomic

    write_bytes_atomic(fs, url, data)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def format_text(summary: dict) -> str:
    """The CLI's readable summary of an investigation."""
    s, chain, blast = summary, summary["identity_chain"], summary["blast_radius"]
    lines = [
        f"Investigation of {s['subject']['kind'].replace('_', ' ')} {s['subject']['value']}",
        f"  window {s['window']['start']} .. {s['window']['end']} "
        f"(baseline {s['window']['baseline_days']} days before)",
        f"  events {s['events']} ({s['errors']} errors), first seen {s['first_seen'] or '-'}, "
        f"last seen {s['last_seen'] or '-'}",
        f"  principals: {', '.join(s['principals']) or '-'}",
        f"  access keys: {', '.join(s['access_keys']) or '-'}",
        f"  new IPs: {', '.join(s['new_ips']) or 'none'}",
        f"  new user agents: {', '.join(s['new_user_agents']) or 'none'}",
        f"  identity chain: {chain['nodes']} nodes; keys {', '.join(chain['access_keys']) or '-'}; "
        f"users {', '.join(chain['users']) or '-'}; roles {', '.join(chain['roles']) or '-'}"
        + (" (truncated)" if chain["truncated"] else ""),
        f"  what the issued credentials did: {chain['descendant_events']} events",
        f"  blast radius: {blast['resources_read']} resources read, {blast['resources_changed']} "
        f"changed across {', '.join(blast['services']) or 'no services'}",
        "  findings: " + (", ".join(f"{n} {sev}" for sev, n in sorted(s["findings"].items()))
                          or "none in the window"),
    ]
    if s["files"]:
        lines.append(f"  written: {len(s['files'])} files, summary at {s['files'].get('summary.json')}")
    return "\n".join(lines)
