"""CloudTrail: raw deliveries -> the deduplicated ``events`` table (records kept as delivered), and back.

Public API (imported lazily so ``import toolkit.cloudtrail`` stays light):
``ingest_day``, ``events_from_records``, ``export_records``, ``check_manifest``.
"""

from __future__ import annotations

from toolkit.lazy import lazy_exports

_EXPORTS = {
    "ingest_day": "toolkit.cloudtrail.ingest",
    "events_from_records": "toolkit.cloudtrail.flatten",
    "export_records": "toolkit.cloudtrail.export",
    "check_manifest": "toolkit.cloudtrail.manifest",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
