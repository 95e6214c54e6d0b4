"""events_from_records: schema, flat query columns, and the record text kept untouched."""

from __future__ import annotations

import json

import orjson
import pytest

from toolkit.cloudtrail import events_from_records
from toolkit.cloudtrail.schema import EVENTS_SCHEMA


def test_record_column_holds_each_record_text(real_records, crafted_records):
    records = real_records + crafted_records
    table = events_from_records(records)
    assert table.schema == EVENTS_SCHEMA
    assert table["record"].to_pylist() == [orjson.dumps(r).decode() for r in records]
    assert [json.loads(t) for t in table["record"].to_pylist()] == records
    assert "extra" not in table.schema.names


def test_flat_columns(real_records, crafted_records):
    rows = {r["event_id"]: r for r in events_from_records(real_records + crafted_records).to_pylist()}
    ok = rows["e-identity-ok"]
    assert ok["identity_type"] == "WebIdentityUser" and ok["source_identity"] == "alice"
    assert ok["mfa_authenticated"] == "false"
    assert ok["tls_details"]["cipher_suite"] == "TLS_AES_128_GCM_SHA256"
    assert json.loads(ok["user_identity"]["in_scope_of"])["issuerType"] == "AWS::Lambda::Function"
    assert rows["e-types"]["read_only"] is True  # typed best effort; the record keeps "true"
    assert rows["e-resources-ok"]["resources"] == []
    assert json.loads(rows["e-unicode"]["request_parameters"])["nested"] == [[1], [2, [3, {"x": None}]]]
    real = rows["be170ced-ba43-4a02-9b70-f18127034945"]
    assert real["principal_arn"].endswith("ecs-cluster-instance/i-06125b883c50e9d63")
    assert real["session_issuer_user_name"] == "ecs-cluster-instance"
    assert real["event_time"].isoformat() == "2025-03-06T02:25:06+00:00"
    assert real["record_index"] is not None and real["source_listed"] is None


def test_record_without_event_id_is_refused():
    with pytest.raises(ValueError, match="eventID"):
        events_from_records([{"eventTime": "2025-03-06T10:00:00Z"}])
