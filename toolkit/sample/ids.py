"""Identifier formats AWS uses, drawn from a seeded ``random.Random`` (never the clock)."""

from __future__ import annotations

import binascii
import datetime as dt
import random

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # IAM unique ids and access keys
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # RFC 4122 variant digit
# Byte -> character tables for bytes.translate: random bytes become ids in one C call
# (256 is not a multiple of 62 or 36; the slight bias does not matter for sample ids).
_ALNUM_TABLE = bytes((ALNUM * 5)[:256], "ascii")
_UPPER_ALNUM_TABLE = bytes((UPPER_ALNUM * 8)[:256], "ascii")


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string (eventID, requestID, sharedEventID)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return rng.getrandbits(8 * n).to_bytes(n, "little")  # Random.randbytes, one call less


def alnum(rng: random.Random, n: int) -> str:
    """``n`` characters of [A-Za-z0-9] (log file name suffixes)."""
    return _random_bytes(rng, n).translate(_ALNUM_TABLE).decode()


def iam_id(rng: random.Random, prefix: str) -> str:
    """IAM unique id / access key: AIDA (user), AROA (role), AKIA (long-term), ASIA (temp)."""
    return prefix + chars(rng, BASE32, 17 if prefix in ("AIDA", "AROA") else 16)


def hex_id(rng: random.Random, prefix: str, n: int = 17) -> str:
    """EC2-style ids: i-0..., sg-0..., vol-0..., snap-0..."""
    return f"{prefix}0{rng.getrandbits(4 * (n - 1)):0{n - 1}x}"


def s3_request_id(rng: random.Random) -> str:
    """S3's 16-character request id (uppercase letters and digits)."""
    return _random_bytes(rng, 16).translate(_UPPER_ALNUM_TABLE).decode()


def amz_id_2(rng: random.Random) -> str:
    """S3's x-amz-id-2 extended request id (base64)."""
    return binascii.b2a_base64(_random_bytes(rng, 52), newline=False).decode()


def account_id(rng: random.Random) -> str:
    return str(rng.randrange(100_000_000_000, 999_999_999_999))


def iso(ts: float) -> str:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` (CloudTrail's eventTime form)."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_stamps(day_start: int, step: int) -> list[str]:
    """``iso`` of every ``step`` seconds of the day starting at ``day_start`` (fast, in bulk)."""
    date = iso(day_start)[:11]  # YYYY-MM-DDT
    return [f"{date}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(0, 86400, step)]


def epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def human_time(ts: float) -> str:
    """STS/IAM response time form: ``Mar 6, 2025, 3:28:21 AM``."""
    d = dt.datetime.fromtimestamp(int(ts), dt.UTC)
    return f"{d:%b} {d.day}, {d.year}, {d.hour % 12 or 12}:{d:%M:%S} {'AM' if d.hour < 12 else 'PM'}"
