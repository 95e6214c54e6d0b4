"""Typed parameters of named queries: the converter from an analyst's text to a bound value.

One place for each validator (an ARN, an access key id, an account id, an IP address, a day).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}|aws)?:\S+$")
_ACCOUNT = re.compile(r"^\d{12}$")

# The one access key id check (named-query parameters, investigation subjects, the forensic
# DAG's param schema). IAM API reference, AccessKey.AccessKeyId: "Minimum length of 16.
# Maximum length of 128", pattern [\w]+. IAM identifiers, "Understanding unique ID prefixes":
# AKIA access key, ASIA temporary (AWS STS) key, ABIA AWS STS service bearer token, ACCA
# context-specific credential (the credential prefixes; AIDA/AROA/... name principals). Keys
# are upper-case letters and digits as issued (AKIAIOSFODNN7EXAMPLE).
ACCESS_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA")
ACCESS_KEY_PATTERN = rf"^(?:{'|'.join(ACCESS_KEY_PREFIXES)})[A-Z0-9]{{12,124}}$"
_ACCESS_KEY = re.compile(ACCESS_KEY_PATTERN)
# Unique ids that look like keys but name principals (IAM user, role, instance profile, managed
# policy, group), not credentials: told apart so the error can say what to use instead.
_PRINCIPAL_ID = re.compile(r"^(AIDA|AROA|AIPA|ANPA|AGPA)[A-Z0-9]{12,124}$")


def access_key_id(value: str) -> str:
    """``value`` if it is an access key id (see ``ACCESS_KEY_PATTERN``), else a ValueError."""
    if _ACCESS_KEY.match(value):
        return value
    if _PRINCIPAL_ID.match(value):
        raise ValueError(f"{value!r} is a principal's unique id, not an access key id; "
                         "use the principal's ARN instead")
    raise ValueError(f"not an access key id: {value!r} (expected {'/'.join(ACCESS_KEY_PREFIXES)} "
                     "followed by upper-case letters or digits, 16 to 128 characters in all, "
                     "e.g. AKIAIOSFODNN7EXAMPLE)")


def _as_ip(value: str) -> str:
    return str(ipaddress.ip_address(value.strip()))


def _as_timestamp(value: str) -> str:
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    # Milliseconds: what Athena's from_iso8601_timestamp and timestamps carry.
    return parsed.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _matching(pattern: re.Pattern, what: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"not a valid {what}")
        return value
    return check


def _as_day(value: str) -> str:
    # toolkit.lake (the one day parser) costs ~15 ms to import: on use, so `--help` stays fast
    from toolkit.lake import parse_day

    return parse_day(value).isoformat()


def _as_bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("expected true or false")


# Parameter type -> converter from the analyst's text to the value that gets bound.
# Dates stay 'YYYY-MM-DD' strings because ``dt`` partitions are varchar; timestamps become
# ISO-8601 UTC strings that the SQL reads with from_iso8601_timestamp(:name).
PARAM_TYPES = {
    "string": str,
    "int": int,
    "float": float,
    "bool": _as_bool,
    "date": lambda v: _as_day(v),
    "timestamp": _as_timestamp,
    "arn": _matching(_ARN, "ARN (arn:aws:<service>:<region>:<account>:<resource>)"),
    "access_key_id": access_key_id,
    "account_id": _matching(_ACCOUNT, "AWS account id (12 digits)"),
    "ip": _as_ip,
}


@dataclass(frozen=True)
class Param:
    """One typed parameter; ``list``: a list of such values (``x in (:name)`` in the SQL)."""

    name: str
    type: str
    description: str = ""
    default: Any = None
    list: bool = False

    def coerce(self, value: Any) -> Any:
        """Convert and validate one value; a bad value is a ValueError naming the parameter."""
        if self.list:
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ValueError(f"parameter {self.name} ({self.type} list): expected a list")
            return [self._one(item) for item in value]
        return self._one(value)

    def _one(self, value: Any) -> Any:
        try:
            return PARAM_TYPES[self.type](value if not isinstance(value, str) else value.strip())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"parameter {self.name} ({self.type}): {value!r}: {exc}") from None
