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
_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")
_ACCOUNT = re.compile(r"^\d{12}$")


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
    "access_key_id": _matching(_ACCESS_KEY, "access key id (16-128 uppercase letters/digits)"),
    "account_id": _matching(_ACCOUNT, "AWS account id (12 digits)"),
    "ip": _as_ip,
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    default: Any = None

    def coerce(self, value: Any) -> Any:
        """Convert and validate one value; a bad value is a ValueError naming the parameter."""
        try:
            return PARAM_TYPES[self.type](value if not isinstance(value, str) else value.strip())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"parameter {self.name} ({self.type}): {value!r}: {exc}") from None
