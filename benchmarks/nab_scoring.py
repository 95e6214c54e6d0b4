"""NAB's scoring, written from its documentation: windows, scaled sigmoid, standard profile.

Numenta Anomaly Benchmark (Lavin & Ahmad 2015, "Evaluating Real-time Anomaly Detection
Algorithms -- the Numenta Anomaly Benchmark"; github.com/numenta/NAB, ``nab/sweeper.py``):

* the first 15 % of a file (at most 750 rows) is probationary: flags there are not scored;
* a flag inside a labelled window scores ``A_tp x σ(y) / σ(-1)``, with y the relative position
  (-1 at the window's left edge, 0 at its right edge) and ``σ(y) = 2 / (1 + e^(5y)) - 1``; only
  the best (earliest) flag of each window counts;
* a flag outside every window costs ``A_fp x σ(y)`` where y is its distance past the previous
  window's right edge in window widths (σ is negative there), or ``-A_fp`` before any window;
* a window without a flag costs ``A_fn``;
* the corpus score is ``100 x (raw - null) / (perfect - null)``: null flags nothing
  (``-A_fn`` per window), perfect flags every window at its left edge (``+A_tp`` per window).

Standard profile: A_tp = 1, A_fp = 0.11, A_fn = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STANDARD = {"tp": 1.0, "fp": 0.11, "fn": 1.0}
# "caught early": the first flag lands in the first half of the window. NAB centres each window
# on its label, so this is "at or before the labelled time"; the flag then earns at least
# σ(-0.5) / σ(-1) = 0.86 of a true positive. Labels mark where an anomaly starts, so a detector
# that needs a datapoint or two to see it lands just past the middle: ``early60`` (first 60 %,
# at least 0.77 of a true positive, against 0 at the right edge) is reported beside it.
EARLY = 0.5
EARLY60 = 0.6


def scaled_sigmoid(position: float) -> float:
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


@dataclass
class FileScore:
    raw: float
    null: float
    perfect: float
    windows: int
    caught: int        # windows with at least one scored flag
    early: int         # windows whose first flag lands in the first half (at or before the label)
    early60: int       # windows whose first flag lands in the first 60 %
    false_flags: int   # flagged rows outside every window (probation included)
    rows: int

    @property
    def normalized(self) -> float:
        """NaN for a file without windows: NAB only normalizes over the corpus there."""
        if self.perfect == self.null:
            return math.nan
        return 100.0 * (self.raw - self.null) / (self.perfect - self.null)


def window_rows(timestamps: list, windows: list[tuple]) -> list[tuple[int, int]]:
    """Row index ranges [first, last] of each window (rows whose time lies inside it)."""
    out = []
    for start, end in windows:
        inside = [i for i, t in enumerate(timestamps) if start <= t <= end]
        out.append((inside[0], inside[-1]))
    return out


def score_file(timestamps: list, flags: list[bool], windows: list[tuple], costs: dict = STANDARD) -> FileScore:
    """NAB score of one file's binary detections."""
    n = len(timestamps)
    probation = min(math.floor(0.15 * n), 750)
    spans = window_rows(timestamps, windows)
    best: dict[int, float] = {}
    first: dict[int, int] = {}
    fp_score, false_flags = 0.0, 0
    for i, flagged in enumerate(flags):
        if not flagged:
            continue
        w = next((k for k, (a, b) in enumerate(spans) if a <= i <= b), None)
        if w is None:
            false_flags += 1
        if i < probation:
            continue
        if w is not None:
            a, b = spans[w]
            weight = scaled_sigmoid(-(b - i + 1) / (b - a + 1)) / scaled_sigmoid(-1.0)
            best[w] = max(best.get(w, -math.inf), costs["tp"] * weight)
            first.setdefault(w, i)
            continue
        before = [k for k, (_, b) in enumerate(spans) if b < i]
        if not before:
            fp_score -= costs["fp"]
        else:
            a, b = spans[before[-1]]
            fp_score += costs["fp"] * scaled_sigmoid((i - b) / (b - a))
    missed = len(spans) - len(best)
    raw = sum(best.values()) + fp_score - costs["fn"] * missed
    def within(share: float) -> int:
        return sum(1 for w, i in first.items() if (i - spans[w][0]) <= share * (spans[w][1] - spans[w][0]))

    return FileScore(raw, -costs["fn"] * len(spans), costs["tp"] * len(spans), len(spans), len(best),
                     within(EARLY), within(EARLY60), false_flags, n)


def corpus(scores: list[FileScore]) -> FileScore:
    """The scores of several files added up (normalized over the corpus, as NAB does)."""
    return FileScore(*[sum(getattr(s, f) for s in scores) for f in
                       ("raw", "null", "perfect", "windows", "caught", "early", "early60", "false_flags", "rows")])
