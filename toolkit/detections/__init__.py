"""Detections: a rule library as data (``rules/<tactic>/<id>.yml``) and the runner.

Public API (imported lazily so ``import toolkit.detections`` stays light):
``run_detections(lake, start, end, rules_dir=None, settings=None) -> polars.DataFrame``,
``load_rules(rules_dir=None)``, ``run_rule_tests(rules)``.
"""

from __future__ import annotations

from toolkit.lazy import lazy_exports

_EXPORTS = {
    "run_detections": "toolkit.detections.runner",
    "load_rules": "toolkit.detections.rules",
    "run_rule_tests": "toolkit.detections.testing",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
