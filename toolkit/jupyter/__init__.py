"""Jupyter integration: the ``trailwatch`` kernel, offline charts in JupyterLab.

* ``kernel`` -- install the ``trailwatch`` kernelspec (``trailwatch kernel install``) and pick
  the kernel reports run on (this interpreter when none is installed).
* ``offline`` -- altair charts that render in JupyterLab 4 without a network (the vega
  libraries travel with the output), for one chart at a time: nothing global changes.

Importing this package does no I/O and imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import altair as alt

__all__ = ["show"]


def show(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Make ``chart`` (and copies made from it) display offline in Jupyter; returns it."""
    from toolkit.jupyter.offline import offline

    return offline(chart)
