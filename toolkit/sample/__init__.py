"""``trailwatch sample``: a realistic sample AWS estate, written exactly as AWS delivers it.

``generate_account(out, *, start, days, events_per_day, accounts=1, seed=7, org=False)``
writes ``out/raw/AWSLogs/...`` (CloudTrail log files and signed digests), ``out/truth/incident.json``,
``out/cloudwatch/<account>/<region>/metrics-YYYY-MM-DD.json`` and ``out/public-keys.json``;
``events_per_day`` is per account. Same arguments, same bytes.
"""

from __future__ import annotations

DEFAULT_START = "2025-03-03"
DEFAULT_DAYS = 7
DEFAULT_EVENTS_PER_DAY = 8000
DEFAULT_SEED = 7


def generate_account(out, *, start=DEFAULT_START, days=DEFAULT_DAYS,
                     events_per_day=DEFAULT_EVENTS_PER_DAY, accounts=1, seed=DEFAULT_SEED,
                     org=False) -> dict:
    """Write the sample under ``out`` and return a summary (counts and paths)."""
    from toolkit.sample.generator import generate

    return generate(out, start=start, days=days, events_per_day=events_per_day,
                    accounts=accounts, seed=seed, org=org)
