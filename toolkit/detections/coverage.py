"""ATT&CK and Stratus Red Team coverage of the rule library (``trailwatch rules coverage``).

``coverage_frame`` counts, per MITRE ATT&CK technique, the native, sequence and Sigma rules that
cite it; ``stratus_frame`` lists, per technique of Stratus Red Team's AWS catalogue
(``stratus.yml``), the rules that name it in their ``stratus:`` list; ``coverage_chart`` draws
the first; ``tactic_coverage_chart`` its bounded summary (techniques per tactic and source), which
the security digest shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.detections.attack import TECHNIQUES

if TYPE_CHECKING:
    import altair as alt
    import polars as pl

    from toolkit.detections.rules import Rule

STRATUS_CATALOGUE = Path(__file__).with_name("stratus.yml")
SOURCES = ("native", "sequence", "sigma")


def coverage_frame(rules: list[Rule]) -> pl.DataFrame:
    """One row per cited technique: id, name, tactics, rule counts per source, total, rule ids."""
    import polars as pl

    rows = [{"technique": r.technique, "tactic": r.tactic, "source": r.source, "rule_id": r.id}
            for r in rules]
    if not rows:
        return pl.DataFrame(schema={"technique": pl.String, "technique_name": pl.String,
                                    "tactics": pl.String, **dict.fromkeys(SOURCES, pl.UInt32),
                                    "total": pl.UInt32, "rules": pl.String})
    frame = pl.DataFrame(rows)
    counts = [(pl.col("source") == s).sum().alias(s) for s in SOURCES]
    return (frame.group_by("technique")
            .agg(pl.col("tactic").unique().sort().str.join(", ").alias("tactics"), *counts,
                 pl.len().alias("total"), pl.col("rule_id").sort().str.join(", ").alias("rules"))
            .with_columns(pl.col("technique").replace_strict(TECHNIQUES, default=None)
                          .alias("technique_name"))
            .select("technique", "technique_name", "tactics", *SOURCES, "total", "rules")
            .sort("technique"))


def stratus_catalogue() -> dict[str, str]:
    """Stratus Red Team AWS technique id -> name."""
    import yaml

    return yaml.safe_load(STRATUS_CATALOGUE.read_text())["techniques"]


def stratus_frame(rules: list[Rule]) -> pl.DataFrame:
    """One row per Stratus technique: id, name, the rules naming it, whether any does."""
    import polars as pl

    rows = []
    for technique, name in stratus_catalogue().items():
        covering = sorted(r.id for r in rules if technique in r.stratus)
        attack = sorted({r.technique for r in rules if technique in r.stratus})
        rows.append({"stratus_technique": technique, "name": name, "attack": ", ".join(attack),
                     "rules": ", ".join(covering), "covered": bool(covering)})
    return pl.DataFrame(rows)


def coverage_chart(frame: pl.DataFrame) -> alt.Chart:
    """Stacked bars: rules per ATT&CK technique, coloured by source (DataFrame in, Chart out)."""
    import altair as alt

    long = frame.unpivot(index=["technique", "technique_name"], on=list(SOURCES),
                         variable_name="source", value_name="rule_count")
    long = long.filter(long["rule_count"] > 0)
    return (alt.Chart(long)
            .mark_bar()
            .encode(y=alt.Y("technique:N", sort="-x", title="ATT&CK technique"),
                    x=alt.X("sum(rule_count):Q", title="rules"),
                    color=alt.Color("source:N", scale=alt.Scale(domain=list(SOURCES))),
                    tooltip=["technique", "technique_name", "source", "rule_count"])
            .properties(title="Detection coverage by ATT&CK technique", width=420,
                        height=alt.Step(12)))


def tactic_coverage_chart(rules: list[Rule]) -> alt.Chart:
    """Stacked bars: distinct ATT&CK techniques covered per tactic, coloured by rule source.

    One bar per tactic (ATT&CK has 14 for cloud), so the chart keeps a fixed maximum height
    whatever the size of the rule library (the per-technique chart grows with it)."""
    import altair as alt
    import polars as pl

    rows = [{"tactic": r.tactic, "source": r.source, "technique": r.technique} for r in rules
            if r.technique]
    frame = (pl.DataFrame(rows, schema={"tactic": pl.String, "source": pl.String,
                                        "technique": pl.String})
             .group_by("tactic", "source").agg(pl.col("technique").n_unique().alias("techniques"))
             .sort("tactic", "source"))
    return (alt.Chart(frame)
            .mark_bar()
            .encode(y=alt.Y("tactic:N", sort="-x", title="ATT&CK tactic"),
                    x=alt.X("sum(techniques):Q", title="techniques covered (count, by rule source)"),
                    color=alt.Color("source:N", scale=alt.Scale(domain=list(SOURCES))),
                    tooltip=["tactic", "source", "techniques"])
            .properties(title="Detection coverage: ATT&CK techniques per tactic", width=420,
                        height=alt.Step(18)))
