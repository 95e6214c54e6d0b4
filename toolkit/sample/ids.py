"""Identifier formats AWS uses, drawn from a seeded ``random.Random`` (never the clock)."""

from __future__ import annotations

import base64
import datetime as dt
import random

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # IAM unique ids and access keys
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_VARIANT = "89ab"


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string (eventID, requestID, sharedEventID)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def iam_id(rng: random.Random, prefix: str) -> str:
    """IAM unique id / access key: AIDA (user), AROA (role), AKIA (long-term), ASIA (temp)."""
    return prefix + chars(rng, BASE32, 17 if prefix in ("AIDA", "AROA") else 16)


def hex_id(rng: random.Random, prefix: str, n: int = 17) -> str:
    """EC2-style ids: i-0..., sg-0..., vol-0..., snap-0..."""
    return f"{prefix}0{rng.getrandbits(4 * (n - 1)):0{n - 1}x}"


def s3_request_id(rng: random.Random) -> str:
    """S3's 16-character request id (uppercase base32-like)."""
    return base64.b32encode(rng.getrandbits(80).to_bytes(10, "big")).decode()


def amz_id_2(rng: random.Random) -> str:
    """S3's x-amz-id-2 extended request id (base64)."""
    return base64.b64encode(rng.getrandbits(416).to_bytes(52, "big")).decode()


def account_id(rng: random.Random) -> str:
    return str(rng.randrange(100_000_000_000, 999_999_999_999))


def iso(ts: float) -> str:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` (CloudTrail's eventTime form)."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def human_time(ts: float) -> str:
    """STS/IAM response time form: ``Mar 6, 2025, 3:28:21 AM``."""
    d = dt.datetime.fromtimestamp(int(ts), dt.UTC)
    return f"{d:%b} {d.day}, {d.year}, {d.hour % 12 or 12}:{d:%M:%S} {'AM' if d.hour < 12 else 'PM'}"
