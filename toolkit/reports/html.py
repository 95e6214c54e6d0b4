"""Executed notebook -> one self-contained HTML file that renders with no network.

nbconvert's ``lab`` template loads require.js, MathJax and mermaid from CDNs; the template
below drops those blocks (report notebooks display static PNG/SVG charts and HTML tables, so
nothing needs them), hides code and prompts, and keeps the inlined CSS.
"""

from __future__ import annotations

import re
from pathlib import Path

OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">
main { max-width: 1200px; margin: 0 auto; }
main .jp-RenderedHTMLCommon table { font-size: 12px; max-width: 100%; table-layout: auto; }
main .jp-RenderedHTMLCommon th, main .jp-RenderedHTMLCommon td.txt { text-align: left !important; }
main .jp-RenderedHTMLCommon th { white-space: normal; }
main .jp-RenderedHTMLCommon td { white-space: normal; overflow-wrap: anywhere; vertical-align: top; }
main .jp-RenderedHTMLCommon td.num, main .jp-RenderedHTMLCommon td.short { white-space: nowrap; }
main .jp-RenderedHTMLCommon td.long { min-width: 16em; }
main img { max-width: 100%; height: auto; }
</style>
{%- endblock html_head_css -%}
"""

# Attributes that make a browser fetch something (a plain <a href> link fetches nothing).
_LOADING_ATTRS = re.compile(
    r"<(script|link|img|iframe|embed|source|object|video|audio)\b[^>]*?\b(src|href|data)\s*=\s*"
    r"[\"']?([^\"'\s>]+)", re.IGNORECASE)
_CSS_LOADS = re.compile(r"(?:@import\s+(?:url\()?|url\()\s*[\"']?((?:https?:)?//[^\"')\s]+)",
                        re.IGNORECASE)


def external_references(html: str) -> list[str]:
    """URLs the page would fetch: script/link/img/... sources that are not ``data:`` or ``#``."""
    refs = [m.group(3) for m in _LOADING_ATTRS.finditer(html)
            if not m.group(3).startswith(("data:", "#"))]
    return refs + _CSS_LOADS.findall(html)


def notebook_to_html(notebook: str | Path) -> str:
    """Render an executed notebook to offline HTML (outputs only, no code)."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        template_file="trailwatch_offline.html.j2",
        extra_loaders=[jinja2.DictLoader({"trailwatch_offline.html.j2": OFFLINE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    refs = external_references(body)
    if refs:
        raise RuntimeError(f"{notebook}: report HTML would load {refs[:3]} from the network; "
                           "display charts as static images (toolkit.reports.display.setup())")
    return body
