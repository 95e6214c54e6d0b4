"""CloudWatch: metric export to the lake, CSV import, alarm replay, anomaly bands, rightsizing
and SLOs. Every function returns polars frames (or a summary dict).

Names resolve lazily, so ``import toolkit.cloudwatch`` stays free of I/O and heavy imports:

    export_metrics, import_csv, read_metrics, anomaly_bands,
    detect_anomalies, anomaly_episodes, replay_alarms, load_alarms, rightsizing,
    rightsizing_from_lake, slo_report, burn_rate_timeline
"""

from __future__ import annotations

from toolkit.lazy import lazy_exports

_WHERE = {
    "export_metrics": "export", "import_csv": "load",
    "read_metrics": "load", "anomaly_bands": "anomaly", "detect_anomalies": "anomaly",
    "anomaly_episodes": "anomaly", "replay_alarms": "replay", "load_alarms": "alarms",
    "rightsizing": "rightsizing", "rightsizing_from_lake": "rightsizing",
    "slo_report": "slo", "burn_rate_timeline": "slo",
}
__all__ = sorted(_WHERE)
__getattr__ = lazy_exports(__name__, {name: f"{__name__}.{module}" for name, module in _WHERE.items()})
