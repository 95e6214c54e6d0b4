"""Subject validation: strict formats, clear errors, injection-shaped values refused."""

from __future__ import annotations

import pytest

from toolkit.forensics.subjects import parse_subject
from toolkit.sql.queries import bound_query

INJECTIONS = ["' OR 1=1 --", "AKIA' OR '1'='1", "1.2.3.4' OR 1=1 --", "x; drop table events",
              "arn:aws:iam::111122223333:user/a' OR '1'='1", "arn:aws:iam::111122223333:user/a\n--"]


@pytest.mark.parametrize("kind,value,canonical", [
    ("access_key", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("access_key", " ASIAQWERTYUIOPASDF12 ", "ASIAQWERTYUIOPASDF12"),
    ("principal", "arn:aws:iam::111122223333:user/mwilson", None),
    ("principal", "arn:aws:iam::111122223333:user/division/team/priya.k", None),
    ("principal", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123", None),
    ("principal", "arn:aws:sts::111122223333:assumed-role/deploy-role/alice@acme-corp.com", None),
    ("principal", "arn:aws:iam::111122223333:root", None),
    ("principal", "arn:aws-us-gov:iam::111122223333:user/x", None),
    ("ip", "203.0.113.66", None),
    ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
    ("resource", "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d", None),
    ("resource", "arn:aws:s3:::my-bucket/some key with spaces.csv", None),
    ("resource", "arn:aws:iam::aws:policy/AdministratorAccess", None),
])
def test_valid_subjects_are_accepted_in_canonical_form(kind, value, canonical):
    assert parse_subject(kind, value).value == (canonical or value.strip())


@pytest.mark.parametrize("kind,value,message", [
    ("access_key", "AIDAQWERTYUIOPASDF123", "principal's unique id"),
    ("access_key", "akiaiosfodnn7example", "not an access key id"),
    ("access_key", "AKIA123", "not an access key id"),
    ("principal", "arn:aws:s3:::bucket", "not a principal ARN"),
    ("principal", "mwilson", "not a principal ARN"),
    ("ip", "ec2.amazonaws.com", "not an IPv4 or IPv6"),
    ("ip", "300.1.1.1", "not an IPv4 or IPv6"),
    ("resource", "i-0a1b2c3d", "not a resource ARN"),
    ("resource", "", "needs a value"),
    ("bogus", "x", "subject kind"),
])
def test_invalid_subjects_raise_clear_errors(kind, value, message):
    with pytest.raises(ValueError, match=message):
        parse_subject(kind, value)


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("kind", ["access_key", "principal", "ip"])
def test_injection_shaped_values_are_rejected(kind, value):
    with pytest.raises(ValueError):
        parse_subject(kind, value)


def test_resource_condition_binds_values_and_never_contains_them():
    subject = parse_subject("resource", "arn:aws:s3:::b/x' OR 1=1 --")
    assert subject.params() == {"resource": "arn:aws:s3:::b/x' OR 1=1 --"}
    sql, values = bound_query("forensics/subject_events", fill={"subject_condition": subject.condition},
                              start="2025-03-01", end="2025-03-02", **subject.params())
    assert "OR 1=1" not in sql and "{{" not in sql
    assert values["resource"] == subject.value
