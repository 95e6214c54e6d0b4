"""Deliver records as CloudTrail does: gzip files per account/region, keys in AWS's layout,
delivery a few minutes after the events, some files twice, hourly signed digest files.
"""

from __future__ import annotations

import gzip
import os
import random
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson

from toolkit.integrity import digest as dg
from toolkit.sample import ids

GZIP_LEVEL = 6       # what S3 deliveries look like; benchmarks/sample.py measures its cost
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


class FileWriter:
    """Compresses, hashes and writes files on worker threads (zlib, hashlib and file I/O
    release the GIL, so this overlaps with record generation); bounded in-flight work."""

    def __init__(self, threads: int = 2, in_flight: int = 64):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sample-writer")
        self._slots = threading.BoundedSemaphore(in_flight)
        self._dirs: set[str] = set()
        self._lock = threading.Lock()
        self.bytes_written = 0
        self.error: BaseException | None = None

    def submit(self, body: bytes, paths: list[str], compress: bool = True) -> Future:
        """Write ``body`` (gzip unless ``compress`` is False) to each path; the future gives
        the hex SHA-256 of the uncompressed body."""
        self._slots.acquire()
        future = self._pool.submit(self._write, body, paths, compress)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def _write(self, body: bytes, paths: list[str], compress: bool) -> str:
        try:
            return self._write_now(body, paths, compress)
        except BaseException as exc:
            self.error = self.error or exc
            raise

    def _write_now(self, body: bytes, paths: list[str], compress: bool) -> str:
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0) if compress else body
        for path in paths:
            parent = os.path.dirname(path)
            if parent not in self._dirs:
                os.makedirs(parent, exist_ok=True)
                with self._lock:
                    self._dirs.add(parent)
            write_file(path, packed)
        with self._lock:
            self.bytes_written += len(packed) * len(paths)
        return dg.sha256_hex(body)

    def close(self) -> None:
        """Wait for every queued write; re-raise the first failure."""
        self._pool.shutdown(wait=True)
        if self.error is not None:
            raise self.error


@dataclass
class TrailWriter:
    """Writes one account/region's log files and its hourly digest chain."""

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
    rng: random.Random
    writer: FileWriter
    pending: list = field(default_factory=list)   # (delivered, key, hash future, oldest, newest)
    previous: dict | None = None                  # last digest's object, hash, signature
    files: int = 0
    duplicates: int = 0
    digests: int = 0

    def deliver(self, records: list[dict], window_end: int) -> list[str]:
        """Queue one file of records (already time-ordered); maybe a duplicate delivery too."""
        body = orjson.dumps({"Records": records})
        oldest, newest = records[0]["eventTime"], records[-1]["eventTime"]
        rng = self.rng
        delivered = [window_end + 60 + rng.randrange(0, 480)]
        if rng.random() < DUPLICATE_SHARE:  # at-least-once delivery: same content, new name
            delivered.append(delivered[0] + rng.randrange(30, 900))
            self.duplicates += 1
        keys = [log_key(self.prefix, self.account_id, self.region, t,
                        ids.chars(rng, ids.ALNUM, 16)) for t in delivered]
        job = self.writer.submit(body, [os.path.join(self.root, k) for k in keys])
        for t, key in zip(delivered, keys, strict=True):
            self.pending.append((t, key, job, oldest, newest))
        self.files += len(keys)
        return keys

    def flush_digests(self, until: int) -> None:
        """Write every digest whose period ends at or before ``until``."""
        while self.digest_start + 3600 <= until:
            self._write_digest(self.digest_start, self.digest_start + 3600)
            self.digest_start += 3600

    def _write_digest(self, start: int, end: int) -> None:
        inside = sorted((p[0], p[1], p[2].result(), p[3], p[4]) for p in self.pending
                        if start <= p[0] < end)
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
        self.writer.submit(body, [os.path.join(self.root, key)])
        meta = orjson.dumps({"signature": signature, "signature-algorithm": dg.SIGNATURE_ALGORITHM})
        self.writer.submit(meta, [os.path.join(self.root, SIGNATURE_SIDECAR_DIR, key + ".json")],
                           compress=False)
        self.previous = {"key": key, "hash": dg.sha256_hex(body), "signature": signature}
        self.digests += 1
