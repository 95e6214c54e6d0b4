"""Writing an investigation out: tables (CSV + Parquet), summary JSON, evidence, and text."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING

from toolkit.lake import Lake, filesystem, join, normalize, swap_directory

if TYPE_CHECKING:
    import polars as pl

    from toolkit.forensics.investigation import Investigation

TOP_SUMMARY = 10  # highlights listed in summary.json and the CLI's text
EVIDENCE_FILES = {"timeline": "evidence-subject.json", "chain_activity": "evidence-chain.json"}


def summarize(inv: Investigation) -> dict:
    """The investigation's key facts as plain JSON types."""
    import polars as pl

    new = inv.indicators.filter(pl.col("new_for_principal"))
    nodes, services = inv.chain_nodes, inv.blast_by_service
    return {
        "subject": {"kind": inv.subject.kind, "value": inv.subject.value},
        "window": {"start": inv.start.isoformat(), "end": inv.end.isoformat(),
                   "baseline_days": inv.baseline_days},
        "events": inv.timeline.height,
        "errors": int((inv.timeline["outcome"] != "succeeded").sum()),
        "first_seen": _iso(inv.first_seen),
        "last_seen": _iso(inv.last_seen),
        "principals": sorted(set(inv.timeline["principal_arn"].drop_nulls())),
        "access_keys": sorted(set(inv.timeline["access_key_id"].drop_nulls())),
        "new_ips": new.filter(pl.col("kind") == "ip")["value"].to_list(),
        "service_sources": inv.indicators.filter(pl.col("kind") == "service")["value"].to_list(),
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
            "services": services.filter(pl.col("succeeded_events") > 0)["service"].to_list(),
            "denied_only_services": services.filter(pl.col("succeeded_events") == 0)["service"].to_list(),
        },
        "highlights": {risk: int(n) for risk, n in inv.highlights.group_by("risk").len().iter_rows()},
        "what_happened": [f"{r['risk']:<6} {_iso(r['first_time']) or '-'}  {r['what']}"
                          for r in inv.highlights.head(TOP_SUMMARY).to_dicts()],
        "findings": {sev: int(n) for sev, n in
                     inv.findings.group_by("severity").len().iter_rows()} if inv.findings.height else {},
        "files": dict(inv.paths),
        "snapshots": dict(inv.snapshots),
    }


def write(inv: Investigation, lake: Lake, out: str) -> dict[str, str]:
    """Write every table as CSV and Parquet, the evidence export and ``summary.json``.

    Everything is written into a staging folder first; a local ``out`` is then replaced by it
    with one rename, an S3 ``out`` receives each file in one PUT with ``summary.json`` last
    (``load`` needs it), so no reader sees a partial investigation.
    """
    out = normalize(out)
    is_s3 = out.startswith("s3://")
    parent = None if is_s3 else os.path.dirname(out.rstrip("/")) or "."
    if parent:
        os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(out.rstrip('/'))}.partial-", dir=parent)
    try:
        names = _write_staged(inv, lake, staging)
        inv.paths.clear()
        inv.paths.update({name: join(out, name) for name in names})
        _write_file(os.path.join(staging, "summary.json"),
                    json.dumps(summarize(inv), indent=2, default=str).encode())
        fs = filesystem(out, lake.endpoint_url)
        if is_s3:
            for name in names:  # summary.json last: its presence marks a complete upload
                fs.put_file(os.path.join(staging, name), join(out, name))
        else:
            swap_directory(fs, staging, out, is_s3=False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return inv.paths


def _write_staged(inv: Investigation, lake: Lake, folder: str) -> list[str]:
    """Tables, evidence exports (counts checked) into a local folder; the file names."""
    names = []
    for name, frame in inv.tables().items():
        for kind in ("parquet", "csv"):
            _write_file(os.path.join(folder, f"{name}.{kind}"), _frame_bytes(frame, kind))
            names.append(f"{name}.{kind}")
    for name, filename in EVIDENCE_FILES.items():
        frame = getattr(inv, name)
        count = write_evidence(lake, inv, evidence_filters(inv, name), os.path.join(folder, filename))
        if count != frame.height:
            raise RuntimeError(f"evidence export wrote {count} records for {frame.height} events "
                               f"({filename}); the lake changed during the investigation, rerun it")
        names.append(filename)
    return [*names, "summary.json"]


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


def write_evidence(lake: Lake, inv: Investigation, filters: list[tuple[str, str]], path: str) -> int:
    """Original CloudTrail records matching ``filters`` as ``{"Records": [...]}`` into a local
    ``path`` (streamed through the ingest's export); the record count."""
    from toolkit.cloudtrail import export_records
    from toolkit.cloudtrail.export import write_export

    records = export_records(lake, inv.start, inv.end, filters) if filters else iter(())
    return write_export(records, path, "cloudtrail")


def _frame_bytes(frame: pl.DataFrame, kind: str) -> bytes:
    import polars as pl

    buffer = io.BytesIO()
    if kind == "parquet":
        frame.write_parquet(buffer, compression="zstd")
    else:  # CSV has no lists or structs: nested values become JSON text
        nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct))]
        flat = frame.with_columns(pl.col(n).map_elements(_json_text, return_dtype=pl.String)
                                  for n in nested)
        flat.write_csv(buffer)
    return buffer.getvalue()


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def _json_text(value) -> str:
    return json.dumps(value.to_list() if hasattr(value, "to_list") else value, default=str)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _few(values: list[str], shown: int = 6) -> str:
    """At most ``shown`` values, then "+N more" (summary.json and the CSVs have them all)."""
    if not values:
        return "none"
    more = f" +{len(values) - shown} more" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


def format_text(summary: dict) -> str:
    """The CLI's readable summary of an investigation."""
    s, chain, blast = summary, summary["identity_chain"], summary["blast_radius"]
    lines = [
        f"Investigation of {s['subject']['kind'].replace('_', ' ')} {s['subject']['value']}",
        f"  window {s['window']['start']} .. {s['window']['end']} "
        f"(baseline {s['window']['baseline_days']} days before)",
        f"  events {s['events']} ({s['errors']} errors), first seen {s['first_seen'] or '-'}, "
        f"last seen {s['last_seen'] or '-'}",
        f"  principals: {_few(s['principals'])}",
        f"  access keys: {_few(s['access_keys'])}",
        f"  new IPs: {_few(s['new_ips'])}"
        + (f" (service callers, not IPs: {', '.join(s['service_sources'])})" if s["service_sources"] else ""),
        f"  new user agents: {_few([ua[:100] for ua in s['new_user_agents']], 3)}",
        f"  identity chain: {chain['nodes']} nodes; keys {_few(chain['access_keys'])}; "
        f"users {_few(chain['users'])}; roles {_few(chain['roles'])}"
        + (" (truncated)" if chain["truncated"] else ""),
        f"  what the issued credentials did: {chain['descendant_events']} events",
        f"  blast radius: {blast['resources_read']} resources read, {blast['resources_changed']} "
        f"changed across {', '.join(blast['services']) or 'no services'}"
        + (f"; only denied in {', '.join(blast['denied_only_services'])}" if blast["denied_only_services"] else ""),
        "  findings: " + (", ".join(f"{n} {sev}" for sev, n in sorted(s["findings"].items()))
                          or "none in the window"),
    ]
    if not s["events"]:
        lines.insert(1, f"  NOTHING FOUND: no event of {s['window']['start']} .. {s['window']['end']} matches this "
                        f"{s['subject']['kind'].replace('_', ' ')} (exact match); check the value or widen "
                        "--start/--end")
    if s["what_happened"]:
        lines.append("  what happened (riskiest first; every row in highlights.csv):")
        lines += [f"    {line}" for line in s["what_happened"]]
    if s["files"]:
        lines.append(f"  written: {len(s['files'])} files, summary at {s['files'].get('summary.json')}")
    return "\n".join(lines)
