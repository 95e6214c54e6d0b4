"""altair charts that display in JupyterLab 4 (and VS Code, exported HTML) with no network.

altair 6's default renderer loads vega from a CDN, and JupyterLab 4's built-in renderer only
knows Vega-Lite v5 while altair 6 writes v6. Here a chart's output is HTML that carries the
vega, vega-lite and vega-embed JavaScript itself (bundled by vl-convert, which the package
already uses for PNG): about 0.9 MB per chart; the first chart of a kernel takes a few seconds
to bundle, later ones about 0.1 s. A rendering error shows as text in the output, not silence.

``offline(chart)`` changes that one chart (and the copies altair makes from it, e.g. by
``.properties()``) -- nothing global: other charts, altair's renderer and polars' settings are
untouched; a renderer chosen explicitly (e.g. ``png`` in the reports) still wins.
``enable()`` is the explicit opt-in to make every altair chart of the kernel offline.
"""

from __future__ import annotations

import functools
import html
import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt

RENDERER = "trailwatch-offline"

_TEMPLATE = """<div id="{id}" class="trailwatch-chart"></div>
<script type="text/javascript">{bundle}</script>
<script type="text/javascript">
(function() {{
  var el = document.getElementById("{id}");
  vegaEmbed(el, {spec}, {{"mode": "vega-lite", "actions": false}}).catch(function(err) {{
    el.innerText = "chart error: " + err;
  }});
}})();
</script>"""


@functools.cache
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script defining ``vegaEmbed`` (from vl-convert)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    return vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())


def offline_html(chart: alt.TopLevelMixin) -> str:
    """The chart as HTML that renders with no network access."""
    spec = json.dumps(chart.to_dict(), default=str).replace("</", "<\\/")
    bundle = vega_bundle().replace("</script", "<\\/script")
    return _TEMPLATE.format(id=f"tw-{uuid.uuid4().hex}", bundle=bundle, spec=spec)


class _OfflineRepr:
    """Mixin: Jupyter displays the chart through ``offline_html``."""

    _trailwatch_offline = True

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        import altair as alt

        if alt.renderers.active != "default":  # a renderer someone chose (png for reports) wins
            return super()._repr_mimebundle_(include=include, exclude=exclude)
        title = html.escape(type(self).__name__)
        return {"text/html": offline_html(self), "text/plain": f"<{title} (offline)>"}


@functools.cache
def _offline_class(base: type) -> type:
    return type(base.__name__, (_OfflineRepr, base), {"__module__": base.__module__,
                                                      "__qualname__": base.__qualname__})


def offline(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Make ``chart`` display offline in Jupyter; returns the same object (chainable)."""
    if not getattr(chart, "_trailwatch_offline", False):
        object.__setattr__(chart, "__class__", _offline_class(type(chart)))  # altair routes setattr
    return chart


def offline_chart(builder):
    """Decorator for chart builders: the chart they return displays offline."""
    @functools.wraps(builder)
    def build(*args, **kwargs):
        return offline(builder(*args, **kwargs))

    return build


def enable() -> None:
    """Opt-in, kernel-wide: every altair chart renders offline (altair's renderer setting)."""
    import altair as alt

    def render(spec: dict, **_):
        return {"text/html": _TEMPLATE.format(
            id=f"tw-{uuid.uuid4().hex}", bundle=vega_bundle().replace("</script", "<\\/script"),
            spec=json.dumps(spec, default=str).replace("</", "<\\/"))}

    alt.renderers.register(RENDERER, render)
    alt.renderers.enable(RENDERER)
