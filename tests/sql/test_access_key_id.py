"""One access key id validator, as AWS documents the id (pages read 2026-12-07):

* IAM API Reference, data type AccessKey, member AccessKeyId: "Length Constraints: Minimum length
  of 16. Maximum length of 128. Pattern: [\\w]+"
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
* IAM User Guide, IAM identifiers, section "Understanding unique ID prefixes": ABIA "AWS STS
  service bearer token", ACCA "Context-specific credential", AKIA "Access key", ASIA "Temporary
  (AWS STS) keys"; AIDA (IAM user), AROA (role), AIPA, ANPA, AGPA name principals/policies.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes

The named-query parameter type, the investigation subject and the forensic DAG's param schema
all use ``toolkit.sql.params`` (the DAG side is tests/dags/test_dag_integrity.py).
"""

from __future__ import annotations

import pytest

from toolkit.forensics.subjects import parse_subject
from toolkit.sql.params import ACCESS_KEY_PREFIXES, PARAM_TYPES, Param, access_key_id

VALID = ["AKIAIOSFODNN7EXAMPLE", "ASIAQWERTYUIOPASDF12", "ABIA" + "A" * 12, "ACCA" + "7" * 124]
INVALID = ["AKIA" + "A" * 11,            # 15 characters: below the documented minimum of 16
           "AKIA" + "A" * 125,           # 129 characters: above the documented maximum of 128
           "akiaiosfodnn7example",       # keys are issued upper case
           "AKIA-OSFODNN7EXAMPLE", "AKIA' OR '1'='1", "XKIAIOSFODNN7EXAMPLE", ""]


def test_prefixes_are_the_documented_credential_prefixes():
    assert set(ACCESS_KEY_PREFIXES) == {"AKIA", "ASIA", "ABIA", "ACCA"}


@pytest.mark.parametrize("value", VALID)
def test_documented_ids_are_accepted_everywhere(value):
    assert access_key_id(value) == value
    assert Param("k", "access_key_id").coerce(value) == value
    assert parse_subject("access_key", value).value == value


@pytest.mark.parametrize("value", INVALID)
def test_other_ids_are_refused_everywhere(value):
    with pytest.raises(ValueError):
        access_key_id(value)
    with pytest.raises(ValueError, match=r"parameter k \(access_key_id\)"):
        Param("k", "access_key_id").coerce(value)
    with pytest.raises(ValueError):
        parse_subject("access_key", value)


def test_a_principal_unique_id_gets_a_pointed_error():
    for check in (access_key_id, PARAM_TYPES["access_key_id"]):
        with pytest.raises(ValueError, match="principal's unique id"):
            check("AROAQWERTYUIOPASDF123")
