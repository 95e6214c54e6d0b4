"""Forensics for incident responders: investigations, identity chains and change impact.

Public API (imported lazily so ``import toolkit.forensics`` stays light):
``investigate(lake, subject, start, end, settings=None) -> Investigation``,
``parse_subject(kind, value) -> Subject``, ``change_impact(lake, start, end, window_hours=...)``.
"""

from __future__ import annotations

from toolkit.lazy import lazy_exports

_EXPORTS = {
    "investigate": "toolkit.forensics.investigation",
    "Investigation": "toolkit.forensics.investigation",
    "Subject": "toolkit.forensics.subjects",
    "parse_subject": "toolkit.forensics.subjects",
    "change_impact": "toolkit.forensics.impact",
    "change_impact_chart": "toolkit.forensics.impact",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
