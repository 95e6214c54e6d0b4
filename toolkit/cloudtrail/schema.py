"""The curated ``events`` table: its columns and Parquet schema (the one source of truth).

DDL (``sql/ddl/events.sql``), the ingest, the export and the tests all derive from this module.
Top-level CloudTrail keys map to snake_case query columns (free-form objects as compact JSON
text); ``record`` keeps each record's original text, so nothing AWS sends (fields added later,
odd types, key order) is lost and the export writes exactly what AWS delivered.
"""

from __future__ import annotations

import pyarrow as pa

_str = pa.string()

SESSION_ISSUER = pa.struct([
    ("type", _str), ("principal_id", _str), ("arn", _str), ("account_id", _str), ("user_name", _str),
])
SESSION_CONTEXT = pa.struct([
    ("attributes", pa.struct([("creation_date", _str), ("mfa_authenticated", _str)])),
    ("session_issuer", SESSION_ISSUER),
    ("web_id_federation_data", pa.struct([("federated_provider", _str), ("attributes", _str)])),
    ("source_identity", _str),
    ("ec2_role_delivery", _str),
    ("assumed_root", _str),
])
USER_IDENTITY = pa.struct([
    ("type", _str), ("principal_id", _str), ("arn", _str), ("account_id", _str),
    ("access_key_id", _str), ("user_name", _str), ("invoked_by", _str),
    ("identity_provider", _str), ("credential_id", _str),
    ("session_context", SESSION_CONTEXT),
    ("on_behalf_of", pa.struct([("user_id", _str), ("identity_store_arn", _str)])),
    ("in_scope_of", _str),  # JSON text of inScopeOf (rare, shape varies)
])
TLS_DETAILS = pa.struct([
    ("tls_version", _str), ("cipher_suite", _str), ("client_provided_host_header", _str),
])
RESOURCE = pa.struct([("arn", _str), ("account_id", _str), ("type", _str)])

EVENTS_SCHEMA = pa.schema([
    ("event_id", _str),
    ("event_time", pa.timestamp("us", tz="UTC")),
    ("event_version", _str),
    ("event_source", _str),
    ("event_name", _str),
    ("aws_region", _str),
    ("source_ip_address", _str),
    ("user_agent", _str),
    ("error_code", _str),
    ("error_message", _str),
    ("read_only", pa.bool_()),
    ("event_type", _str),
    ("event_category", _str),
    ("management_event", pa.bool_()),
    ("recipient_account_id", _str),
    ("request_id", _str),
    ("shared_event_id", _str),
    ("vpc_endpoint_id", _str),
    ("api_version", _str),
    ("session_credential_from_console", _str),
    ("user_identity", USER_IDENTITY),
    # Flat convenience columns derived from user_identity (filters prune row groups on them).
    ("identity_type", _str),
    ("principal_id", _str),
    ("principal_arn", _str),
    ("account_id", _str),
    ("access_key_id", _str),
    ("user_name", _str),
    ("invoked_by", _str),
    ("session_issuer_arn", _str),
    ("session_issuer_user_name", _str),
    ("mfa_authenticated", _str),
    ("source_identity", _str),
    ("tls_details", TLS_DETAILS),
    ("request_parameters", _str),
    ("response_elements", _str),
    ("additional_event_data", _str),
    ("service_event_details", _str),
    ("resources", pa.list_(RESOURCE)),
    # Provenance: the delivered file (key under the raw root), the record's position in its
    # Records array, and whether a digest lists that file with its SHA-256 (NULL: no digest
    # for its hour was delivered yet when it was ingested; false: unlisted or not AWS's name).
    ("source_file", _str),
    ("record_index", pa.int64()),
    ("source_listed", pa.bool_()),
    # The record exactly as delivered (its bytes inside the file): the evidence export writes it.
    ("record", _str),
])

EVENT_COLUMNS = tuple(EVENTS_SCHEMA.names)

# --- Mapping between CloudTrail JSON keys and columns -------------------------------------
# Column names are snake_case of the JSON key, except these (keyed by dotted column path).
_KEY_EXCEPTIONS = {
    "source_ip_address": "sourceIPAddress",
    "request_id": "requestID",
    "event_id": "eventID",
    "shared_event_id": "sharedEventID",
    "resources.arn": "ARN",
}
# Top-level columns that are not a record key: derived from user_identity, or bookkeeping.
FLAT_IDENTITY_COLUMNS = {
    "identity_type": ("type",),
    "principal_id": ("principal_id",),
    "principal_arn": ("arn",),
    "account_id": ("account_id",),
    "access_key_id": ("access_key_id",),
    "user_name": ("user_name",),
    "invoked_by": ("invoked_by",),
    "session_issuer_arn": ("session_context", "session_issuer", "arn"),
    "session_issuer_user_name": ("session_context", "session_issuer", "user_name"),
    "mfa_authenticated": ("session_context", "attributes", "mfa_authenticated"),
    "source_identity": ("session_context", "source_identity"),
}
FREE_FORM_COLUMNS = ("request_parameters", "response_elements", "additional_event_data",
                     "service_event_details")
# Struct fields typed string that hold an object, kept as its JSON text.
JSON_TEXT_FIELDS = {"user_identity.in_scope_of", "user_identity.session_context.web_id_federation_data.attributes"}
BOOKKEEPING_COLUMNS = ("source_file", "record_index", "source_listed", "record")


def json_key(path: str) -> str:
    """The CloudTrail JSON key of a column or struct field, given its dotted column path."""
    if path in _KEY_EXCEPTIONS:
        return _KEY_EXCEPTIONS[path]
    first, *rest = path.rsplit(".", 1)[-1].split("_")
    return first + "".join(w.capitalize() for w in rest)


def record_columns() -> list[str]:
    """Columns that hold one top-level record key each (typed or free-form), in schema order."""
    skip = set(FLAT_IDENTITY_COLUMNS) | set(BOOKKEEPING_COLUMNS)
    return [name for name in EVENT_COLUMNS if name not in skip]


RECORD_KEYS = {json_key(c): c for c in record_columns()}  # top-level JSON key -> column
