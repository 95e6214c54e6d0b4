"""What an investigation is about: a principal, an access key, an IP or a resource — validated.

Analyst-typed values are checked strictly here and then only ever bound as SQL parameters.
Each subject names the condition that selects its events (``subject_<kind>`` in
``sql/fragments.yml``, the condition the analyst queries ``events_for_<kind>`` use too) and the
value that condition binds (its parameter is named for the kind).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from toolkit.sql.params import access_key_id

KINDS = ("principal", "access_key", "ip", "resource")

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

    @property
    def condition(self) -> str:
        """The fragment selecting the subject's rows (``sql/fragments.yml``)."""
        return f"subject_{self.kind}"

    def params(self) -> dict[str, str]:
        """The value bound to the condition's placeholder (named for the kind)."""
        return {self.kind: self.value}


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


_VALIDATORS = {"principal": _principal, "access_key": access_key_id, "ip": _ip, "resource": _resource}
