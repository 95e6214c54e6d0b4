"""CloudTrail: raw deliveries -> the lossless, deduplicated ``events`` table, and back.

Public API (imported lazily so ``import toolkit.cloudtrail`` stays light):
``ingest_day``, ``events_from_records``, ``export_records``, ``record_from_row``.
"""

from __future__ import annotations

_EXPORTS = {
    "ingest_day": "toolkit.cloudtrail.ingest",
    "events_from_records": "toolkit.cloudtrail.flatten",
    "export_records": "toolkit.cloudtrail.export",
    "record_from_row": "toolkit.cloudtrail.records",
    "check_manifest": "toolkit.cloudtrail.manifest",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
