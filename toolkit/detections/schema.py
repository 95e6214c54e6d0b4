"""The ``findings`` table: its columns and Parquet schema (the one source of truth).

One row is one finding: a rule matched a group of events (an actor session - access key, else
principal - on one day for filter rules; a key and time window for aggregations; one run of a
sequence). ``outcome`` says what the calls achieved: ``succeeded`` if any did, else ``denied`` or
``failed`` (then the title starts "Attempted" and the severity is the rule's attempted one). ``event_ids``
lists the CloudTrail eventIDs behind it (capped at ``MAX_EVENT_IDS``; ``event_count`` is the
full count and ``details`` says when the list was truncated). ``sql/ddl/findings.sql`` mirrors it.
"""

from __future__ import annotations

import pyarrow as pa

MAX_EVENT_IDS = 1000

FINDINGS_SCHEMA = pa.schema([
    ("finding_id", pa.string()),
    ("rule_id", pa.string()),
    ("title", pa.string()),
    ("severity", pa.string()),
    ("tactic", pa.string()),
    ("technique", pa.string()),
    ("event_ids", pa.list_(pa.string())),
    ("principal_arn", pa.string()),
    ("access_key_id", pa.string()),
    ("source_ip_address", pa.string()),
    ("account_id", pa.string()),
    ("region", pa.string()),
    ("first_seen", pa.timestamp("us", tz="UTC")),
    ("last_seen", pa.timestamp("us", tz="UTC")),
    ("event_count", pa.int64()),
    ("details", pa.string()),
    ("outcome", pa.string()),      # succeeded | denied | failed (stg_events.outcome, rolled up)
    ("session_key", pa.string()),  # the actor session grouped on (stg_events.session_key)
    ("rule_source", pa.string()),  # native | sequence | sigma
])

FINDINGS_COLUMNS = tuple(FINDINGS_SCHEMA.names)
