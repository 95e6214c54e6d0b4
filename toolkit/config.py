"""Settings: one object built from environment variables and CLI flags, on call.

Config flows one way: environment / Airflow connection -> ``Settings`` -> function arguments.
Nothing here runs at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from toolkit.lake import Lake

Engine = Literal["duckdb", "athena"]

DEFAULT_LAKE = "./lake"
DEFAULT_REGION = "us-east-1"
DEFAULT_SCAN_LIMIT_BYTES = 10 * 1024**3


@dataclass(frozen=True)
class Settings:
    """Where the lake and raw logs live, which SQL engine runs, and how to reach AWS."""

    lake: str = DEFAULT_LAKE
    raw: str | None = None
    reports: str | None = None
    engine: Engine = "duckdb"
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    athena_workgroup: str = "primary"
    athena_database: str = "trailwatch"
    athena_output: str | None = None
    scan_limit_bytes: int = DEFAULT_SCAN_LIMIT_BYTES
    metric_regions: tuple[str, ...] = ()
    metric_namespaces: tuple[str, ...] = ()  # empty: the exporter's default namespaces
    account_id: str | None = None
    catalog: str | None = None  # Iceberg catalog: sqlite | glue (default: by lake, see toolkit.lake)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); non-None overrides win."""
        env = os.environ if env is None else env
        engine = env.get("TRAILWATCH_ENGINE", "duckdb")
        if engine not in ("duckdb", "athena"):
            raise ValueError(f"TRAILWATCH_ENGINE must be 'duckdb' or 'athena', got {engine!r}")
        if env.get("TRAILWATCH_CATALOG") not in (None, "", "sqlite", "glue"):
            raise ValueError(f"TRAILWATCH_CATALOG must be 'sqlite' or 'glue', got {env['TRAILWATCH_CATALOG']!r}")
        settings = cls(
            lake=env.get("TRAILWATCH_LAKE", DEFAULT_LAKE),
            raw=env.get("TRAILWATCH_RAW") or None,
            reports=env.get("TRAILWATCH_REPORTS") or None,
            engine=engine,  # type: ignore[arg-type]
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            athena_workgroup=env.get("TRAILWATCH_ATHENA_WORKGROUP", "primary"),
            athena_database=env.get("TRAILWATCH_ATHENA_DATABASE", "trailwatch"),
            athena_output=env.get("TRAILWATCH_ATHENA_OUTPUT") or None,
            scan_limit_bytes=int(env.get("TRAILWATCH_SCAN_LIMIT_BYTES", DEFAULT_SCAN_LIMIT_BYTES)),
            metric_regions=tuple(r.strip() for r in env.get("TRAILWATCH_METRIC_REGIONS", "").split(",")
                                 if r.strip()),
            metric_namespaces=tuple(n.strip() for n in env.get("TRAILWATCH_METRIC_NAMESPACES", "")
                                    .split(",") if n.strip()),
            account_id=env.get("TRAILWATCH_ACCOUNT_ID") or None,
            catalog=env.get("TRAILWATCH_CATALOG") or None,
        )
        return settings.with_overrides(**overrides)

    @property
    def reports_root(self) -> str:
        """Where scheduled reports go: ``TRAILWATCH_REPORTS`` or ``<lake>/reports``."""
        return self.reports or Lake.at(self.lake).table("reports")

    def lake_handle(self):
        """The ``toolkit.lake.Lake`` these settings describe (root, endpoint, catalog, database)."""
        return Lake.at(self.lake, self.endpoint_url, catalog=self.catalog, database=self.athena_database)

    def with_overrides(self, **overrides) -> Settings:
        """Return a copy with every override that is not None applied (CLI flags)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
