"""What an investigation is about: a principal, an access key, an IP or a resource — validated.

Analyst-typed values are checked strictly here and then only ever bound as SQL parameters.
Each subject knows the SQL predicate that selects its events (text from this module only) and
the parameter values that predicate needs.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

KINDS = ("principal", "access_key", "ip", "resource")

# Access key ids as they appear in userIdentity.accessKeyId: AKIA (IAM user, long-term),
# ASIA (STS temporary), ABIA (STS service bearer token), ACCA (context-specific credential).
ACCESS_KEY_RE = re.compile(r"^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}$")
# Unique ids that look like keys but name principals, not credentials.
_PRINCIPAL_ID_RE = re.compile(r"^(AIDA|AROA|AIPA|ANPA|AGPA)[A-Z0-9]{12,}$")

_PARTITION = r"aws[a-z-]*"
_IAM_NAME = r"[\w+=,.@-]+"          # IAM user/role/session name characters
_IAM_PATH = r"(?:/[\w+=,.@-]+)*/"   # optional IAM path, e.g. /service-role/
PRINCIPAL_ARN_RE = re.compile(
    rf"^arn:{_PARTITION}:(?:"
    rf"iam::\d{{12}}:(?:root|user{_IAM_PATH}{_IAM_NAME}|role{_IAM_PATH}{_IAM_NAME})"
    rf"|sts::\d{{12}}:(?:assumed-role/{_IAM_NAME}/{_IAM_NAME}|federated-user/{_IAM_NAME})"
    rf")$"
)
# A resource ARN: any service; the resource part may hold most printable characters (S3 keys),
# so it is bound as a parameter, never trusted; control characters are refused.
RESOURCE_ARN_RE = re.compile(
    rf"^arn:{_PARTITION}:[a-z0-9-]+:[a-z0-9-]*:(?:\d{{12}}|aws)?:[^\x00-\x1f\x7f]+$"
)
MAX_VALUE_LEN = 2048


@dataclass(frozen=True)
class Subject:
    """A validated investigation subject (``kind`` in KINDS, canonical ``value``)."""

    kind: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.value}"

    def predicate(self) -> str:
        """SQL (Athena dialect) selecting the subject's rows of ``events``; values are :params."""
        return {
            "access_key": "access_key_id = :subject",
            "ip": "source_ip_address = :subject",
            # A role ARN selects every session of the role; user/session ARNs their own calls.
            "principal": "(principal_arn = :subject or session_issuer_arn = :subject)",
            "resource": ("(cardinality(filter(resources, r -> r.arn = :subject)) > 0"
                         " or strpos(request_parameters, :resource_needle) > 0"
                         " or strpos(response_elements, :resource_needle) > 0)"),
        }[self.kind]

    def params(self) -> dict[str, str]:
        """Values bound to the predicate's placeholders."""
        values = {"subject": self.value}
        if self.kind == "resource":
            values["resource_needle"] = f'"{resource_name(self.value)}"'
        return values


def resource_name(arn: str) -> str:
    """The identifier an API call names a resource by (instance id, bucket, key, user name).

    ``arn:aws:ec2:us-east-1:1:instance/i-0ab`` -> ``i-0ab``; ``arn:aws:s3:::bucket`` ->
    ``bucket``; ``arn:aws:s3:::bucket/a/b.csv`` -> ``a/b.csv`` (requests carry the key).
    """
    resource = arn.split(":", 5)[5]
    if arn.split(":", 3)[2] == "s3":
        bucket, _, key = resource.partition("/")
        return key or bucket
    return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def parse_subject(kind: str, value: str) -> Subject:
    """Validate ``value`` as a ``kind`` subject; a ValueError says what is wrong and why."""
    if kind not in KINDS:
        raise ValueError(f"subject kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"--{kind.replace('_', '-')} needs a value")
    value = value.strip()
    if len(value) > MAX_VALUE_LEN:
        raise ValueError(f"{kind} value is longer than {MAX_VALUE_LEN} characters")
    return Subject(kind, _VALIDATORS[kind](value))


def _access_key(value: str) -> str:
    if ACCESS_KEY_RE.match(value):
        return value
    if _PRINCIPAL_ID_RE.match(value):
        raise ValueError(f"{value!r} is a principal's unique id, not an access key id; "
                         "investigate the principal by ARN with --principal")
    raise ValueError(f"not an access key id: {value!r} (expected AKIA/ASIA/ABIA/ACCA followed "
                     "by 16 uppercase letters or digits, e.g. AKIAIOSFODNN7EXAMPLE)")


def _principal(value: str) -> str:
    if PRINCIPAL_ARN_RE.match(value):
        return value
    raise ValueError(f"not a principal ARN: {value!r} (expected arn:aws:iam::<account>:user/<name>, "
                     ":role/<name>, :root, or arn:aws:sts::<account>:assumed-role/<role>/<session>)")


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"not an IPv4 or IPv6 address: {value!r}") from None


def _resource(value: str) -> str:
    if RESOURCE_ARN_RE.match(value):
        return value
    raise ValueError(f"not a resource ARN: {value!r} "
                     "(expected arn:<partition>:<service>:<region>:<account>:<resource>)")


_VALIDATORS = {"principal": _principal, "access_key": _access_key, "ip": _ip, "resource": _resource}
