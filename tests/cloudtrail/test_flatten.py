"""events_from_records: schema, flat columns, and the lossless round trip on every edge."""

from __future__ import annotations

import pytest

from toolkit.cloudtrail import events_from_records, record_from_row
from toolkit.cloudtrail.schema import EVENTS_SCHEMA


def roundtrip_mismatches(records):
    table = events_from_records(records)
    assert table.schema == EVENTS_SCHEMA
    return [(orig, record_from_row(row)) for orig, row in zip(records, table.to_pylist(), strict=True)
            if record_from_row(row) != orig]


def test_real_records_roundtrip_exactly(real_records):
    assert roundtrip_mismatches(real_records) == []


def test_crafted_edge_records_roundtrip_exactly(crafted_records):
    assert roundtrip_mismatches(crafted_records) == []


def test_flat_columns_and_extra(real_records, crafted_records):
    rows = {r["event_id"]: r for r in events_from_records(real_records + crafted_records).to_pylist()}
    ok = rows["e-identity-ok"]
    assert ok["extra"] is None  # fully typed: nothing kept verbatim
    assert ok["identity_type"] == "WebIdentityUser" and ok["source_identity"] == "alice"
    assert ok["mfa_authenticated"] == "false"
    assert ok["tls_details"]["cipher_suite"] == "TLS_AES_128_GCM_SHA256"
    assert rows["e-unknown"]["extra"] is not None and '"addendum"' in rows["e-unknown"]["extra"]
    assert '"userIdentity"' in rows["e-identity"]["extra"]  # unknown nested field -> verbatim
    assert rows["e-types"]["read_only"] is True  # typed best effort, original kept in extra
    assert rows["e-resources-ok"]["resources"] == []
    real = rows["be170ced-ba43-4a02-9b70-f18127034945"]
    assert real["principal_arn"].endswith("ecs-cluster-instance/i-06125b883c50e9d63")
    assert real["session_issuer_user_name"] == "ecs-cluster-instance"
    assert real["event_time"].isoformat() == "2025-03-06T02:25:06+00:00"
    assert real["extra"] is None


def test_record_without_event_id_is_refused():
    with pytest.raises(ValueError, match="eventID"):
        events_from_records([{"eventTime": "2025-03-06T10:00:00Z"}])
