"""Deliver records as CloudTrail does: gzip files per account/region, keys in AWS's layout,
delivery a few minutes after the events, some files twice, hourly signed digest files.
"""

from __future__ import annotations

import gzip
import os
import random
from dataclasses import dataclass, field

import orjson

from toolkit.integrity import digest as dg
from toolkit.sample import ids

GZIP_LEVEL = 3       # any level is valid gzip; 3 costs half of 6 for ~12% larger files
DUPLICATE_SHARE = 0.01
SIGNATURE_SIDECAR_DIR = "_s3_object_metadata"  # S3 user metadata a local copy would lose


def log_prefix(account_id: str, org_id: str | None) -> str:
    return f"AWSLogs/{org_id}/{account_id}" if org_id else f"AWSLogs/{account_id}"


def log_key(prefix: str, account_id: str, region: str, delivered: int, suffix: str) -> str:
    """``.../CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz``."""
    stamp = ids.iso(delivered)  # YYYY-MM-DDTHH:MM:SSZ
    ymd = f"{stamp[:4]}/{stamp[5:7]}/{stamp[8:10]}"
    compact = f"{stamp[:4]}{stamp[5:7]}{stamp[8:10]}T{stamp[11:13]}{stamp[14:16]}Z"
    return (f"{prefix}/CloudTrail/{region}/{ymd}/"
            f"{account_id}_CloudTrail_{region}_{compact}_{suffix}.json.gz")


def digest_key(prefix: str, account_id: str, region: str, trail: str, home: str, end: int) -> str:
    stamp = ids.iso(end)
    ymd = f"{stamp[:4]}/{stamp[5:7]}/{stamp[8:10]}"
    compact = stamp.replace("-", "").replace(":", "")
    return (f"{prefix}/CloudTrail-Digest/{region}/{ymd}/"
            f"{account_id}_CloudTrail-Digest_{region}_{trail}_{home}_{compact}.json.gz")


def write_file(path: str, data: bytes) -> None:
    """Write aside then rename, so a reader never sees a half-written file."""
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def gzip_bytes(body: bytes) -> bytes:
    """A regular gzip member with no timestamp (same content, same bytes)."""
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class Deliveries:
    """Writes one account's log files (gzip JSON) as CloudTrail delivers them: a few minutes
    after the window, some twice; keeps what the digests need about each file."""

    def __init__(self, root: str, account_id: str, prefix: str, rng: random.Random):
        self.root, self.account_id, self.prefix, self.rng = root, account_id, prefix, rng
        self.delivered: list[tuple] = []  # (region, delivered, key, sha256, oldest, newest)
        self.duplicates = 0
        self.bytes_written = 0
        self._dirs: set[str] = set()

    def deliver(self, region: str, records: list[dict], window_end: int) -> None:
        """Write one file of records (already time-ordered); maybe a duplicate delivery too."""
        body = orjson.dumps({"Records": records})
        rng = self.rng
        times = [window_end + 60 + rng.randrange(0, 480)]
        if rng.random() < DUPLICATE_SHARE:  # at-least-once delivery: same content, new name
            times.append(times[0] + rng.randrange(30, 900))
            self.duplicates += 1
        packed, sha = gzip_bytes(body), dg.sha256_hex(body)
        oldest, newest = records[0]["eventTime"], records[-1]["eventTime"]
        for t in times:
            key = log_key(self.prefix, self.account_id, region, t, ids.alnum(rng, 16))
            self._write(os.path.join(self.root, key), packed)
            self.delivered.append((region, t, key, sha, oldest, newest))

    def _write(self, path: str, packed: bytes) -> None:
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        write_file(path, packed)
        self.bytes_written += len(packed)


@dataclass
class DigestChain:
    """One account/region's hourly digest files, each signed and chained to the previous one."""

    root: str                      # local directory holding AWSLogs/
    account_id: str
    region: str
    prefix: str
    bucket: str
    trail: str
    home_region: str
    key: object                    # RSA private key signing the digests
    key_fingerprint: str
    digest_start: int              # start of the first digest period (epoch s)
    pending: list = field(default_factory=list)   # (delivered, key, sha256, oldest, newest)
    previous: dict | None = None                  # last digest's object, hash, signature
    digests: int = 0
    bytes_written: int = 0

    def add(self, delivered: int, key: str, sha256: str, oldest: str, newest: str) -> None:
        self.pending.append((delivered, key, sha256, oldest, newest))

    def flush_digests(self, until: int) -> None:
        """Write every digest whose period ends at or before ``until``."""
        while self.digest_start + 3600 <= until:
            self._write_digest(self.digest_start, self.digest_start + 3600)
            self.digest_start += 3600

    def _write_digest(self, start: int, end: int) -> None:
        inside = sorted(p for p in self.pending if start <= p[0] < end)
        self.pending = [p for p in self.pending if p[0] >= end]
        key = digest_key(self.prefix, self.account_id, self.region, self.trail, self.home_region, end)
        prev = self.previous or {}
        doc = {
            "awsAccountId": self.account_id,
            "digestStartTime": ids.iso(start), "digestEndTime": ids.iso(end),
            "digestS3Bucket": self.bucket, "digestS3Object": key,
            "digestPublicKeyFingerprint": self.key_fingerprint,
            "digestSignatureAlgorithm": dg.SIGNATURE_ALGORITHM,
            "newestEventTime": max((p[4] for p in inside), default=None),
            "oldestEventTime": min((p[3] for p in inside), default=None),
            "previousDigestS3Bucket": self.bucket if prev else None,
            "previousDigestS3Object": prev.get("key"),
            "previousDigestHashValue": prev.get("hash"),
            "previousDigestHashAlgorithm": dg.HASH_ALGORITHM if prev else None,
            "previousDigestSignature": prev.get("signature"),
            "logFiles": [{"s3Bucket": self.bucket, "s3Object": p[1], "hashValue": p[2],
                          "hashAlgorithm": dg.HASH_ALGORITHM, "newestEventTime": p[4],
                          "oldestEventTime": p[3]} for p in inside],
        }
        body = orjson.dumps(doc)
        signature = dg.sign(doc, body, self.key)
        packed = gzip_bytes(body)
        meta = orjson.dumps({"signature": signature, "signature-algorithm": dg.SIGNATURE_ALGORITHM})
        for path, data in ((os.path.join(self.root, key), packed),
                           (os.path.join(self.root, SIGNATURE_SIDECAR_DIR, key + ".json"), meta)):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_file(path, data)
        self.bytes_written += len(packed)
        self.previous = {"key": key, "hash": dg.sha256_hex(body), "signature": signature}
        self.digests += 1
