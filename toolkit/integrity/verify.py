"""Validate CloudTrail log files against their digest files, offline, on local disk or S3.

For each account/region digest chain in the date range: every digest's RSA signature (string
to sign in ``toolkit.integrity.digest``), the chain (previous digest's hash and signature), that
the chain reaches the end of the range, and every listed log file's SHA-256. A log file counts
as valid only when a digest that passed these checks lists it with its hash: a log listed only
by a failed digest (e.g. a log edited together with its digest entry) is reported as
``unverified``. Files in a log folder that no digest lists, or whose name is not AWS's log file
format (what ``toolkit.cloudtrail.logfiles`` defines, the same rule the ingest flags), are
reported as unlisted. A digest's own signature is read from the object's S3 user metadata, from
the ``_s3_object_metadata/`` sidecar a local copy keeps, or from the next digest in the chain.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import posixpath
import re
from dataclasses import dataclass, field

from toolkit.cloudtrail import logfiles
from toolkit.cloudtrail.logfiles import DIGEST_RE, LOG_RE
from toolkit.integrity import digest as dg
from toolkit.lake import filesystem, normalize, parse_day

SIDECAR_DIR = "_s3_object_metadata"
# How late the newest digest may end before the range's end (AWS delivers each hourly digest
# within about an hour after its period).
CHAIN_END_SLACK = dt.timedelta(hours=2)


@dataclass
class Report:
    start: str
    end: str
    digests_checked: int = 0
    digests_valid: int = 0
    log_files_checked: int = 0
    log_files_valid: int = 0
    problems: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, key: str, detail: str) -> None:
        self.problems.append({"kind": kind, "key": key, "detail": detail})

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for p in self.problems:
            found[p["kind"]] = found.get(p["kind"], 0) + 1
        return found

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "ok": self.ok,
                "digests_checked": self.digests_checked, "digests_valid": self.digests_valid,
                "log_files_checked": self.log_files_checked, "log_files_valid": self.log_files_valid,
                "problem_counts": self.counts(), "problems": self.problems}


class Store:
    """Read-only access to a raw location (local path or s3://) by key relative to its root."""

    def __init__(self, raw: str, endpoint_url: str | None = None):
        self.root = normalize(raw)
        self.is_s3 = self.root.startswith("s3://")
        self.fs = filesystem(self.root, endpoint_url)
        self._base = self.root[len("s3://"):] if self.is_s3 else self.root

    def path(self, key: str) -> str:
        return posixpath.join(self._base, key)

    def keys(self) -> list[str]:
        """Keys under AWSLogs/, relative to the root, sorted."""
        base = self.path("AWSLogs")
        if not self.fs.exists(base):
            raise FileNotFoundError(f"no AWSLogs/ under {self.root}")
        return sorted(p[len(self._base) + 1:] for p in self.fs.find(base))

    def read(self, key: str) -> bytes | None:
        try:
            with self.fs.open(self.path(key), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def signature(self, key: str) -> str | None:
        """The digest's ``signature`` S3 user metadata, or the local sidecar's copy."""
        if self.is_s3:
            try:
                meta = self.fs.metadata(self.path(key))
                if meta.get("signature"):
                    return meta["signature"]
            except Exception:  # noqa: BLE001 - no metadata support: fall back to the sidecar
                pass
        side = self.read(f"{SIDECAR_DIR}/{key}.json")
        if side is None:
            return None
        try:
            return json.loads(side).get("signature")
        except ValueError:
            return None


def _key_day(match: re.Match) -> dt.date:
    return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))


_relative = logfiles.relative


def verify(raw: str, start, end, public_keys: dict, endpoint_url: str | None = None) -> Report:
    """Validate digests and log files delivered from ``start`` to ``end`` (dates, inclusive)."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    keys_by_fp = dg.load_public_keys(public_keys)
    store = Store(raw, endpoint_url)
    report = Report(first.isoformat(), last.isoformat())
    logs, digest_keys = {}, []
    for key in store.keys():
        if (m := LOG_RE.search(key)) and first <= _key_day(m) <= last:
            logs[key] = True
        elif (m := DIGEST_RE.search(key)) and first <= _key_day(m) <= last + dt.timedelta(days=1):
            digest_keys.append(key)
        elif (m := logfiles.FOLDER_RE.search(key)) and m["kind"] == "CloudTrail" \
                and (day := logfiles.folder_day(key)) and first <= day <= last:
            report.add("unlisted", key, "in a log folder but not named as AWS names log files "
                                        "(ingest reads it and flags its events: source_listed = false)")
    digests = _load_digests(store, digest_keys, first, last, report)
    listed, trusted = _check_chains(store, digests, keys_by_fp, first, report)
    _check_chain_ends(digests, logs, last, report)
    _check_logs(store, digests, trusted, listed, logs, first, last, report)
    return report


def _check_chain_ends(digests: dict, logs: dict, last: dt.date, report: Report) -> None:
    """Each trail's newest digest must reach the end of the range (or now, for today)."""
    end = min(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC),
              dt.datetime.now(dt.UTC))
    newest: dict[tuple, tuple] = {}
    for key, d in digests.items():
        trail = logfiles.trail_of(key)
        stamp = d["doc"].get("digestEndTime") or ""
        if trail and stamp > newest.get(trail, ("", ""))[0]:
            newest[trail] = (stamp, key)
    for trail in {logfiles.trail_of(k) for k in logs} - set(newest):
        report.add("chain_ends_early", f"{trail[0]}/{trail[1]}", "log files but no digest in the range")
    for (stamp, key) in newest.values():
        ends = logfiles._utc(stamp)
        if ends is None or ends < end - CHAIN_END_SLACK:
            report.add("chain_ends_early", key,
                       f"the newest digest ends at {stamp}, the range at {end:%Y-%m-%dT%H:%M:%SZ}: "
                       "digests (and the log files they list) are missing after it")


def _load_digests(store: Store, keys: list[str], first, last, report: Report) -> dict[str, dict]:
    """Parse digests whose period starts within the range; bad ones are reported."""
    found = {}
    for key in keys:
        blob = store.read(key)
        try:
            inflated = gzip.decompress(blob)
            doc = json.loads(inflated)
            missing = [k for k in dg.REQUIRED_DIGEST_KEYS if k not in doc]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
        except (OSError, ValueError, EOFError) as exc:
            report.digests_checked += 1
            report.add("invalid_digest", key, f"not a readable digest file: {exc}")
            continue
        if doc["digestStartTime"][:10] > last.isoformat():
            continue
        found[key] = {"doc": doc, "inflated": inflated, "signature": store.signature(key)}
    return found


def _check_chains(store: Store, digests: dict[str, dict], keys_by_fp: dict, first, report) -> tuple[set[str], set[str]]:
    """Signatures and chain links; returns the log-file keys listed by any digest, and the
    digests that passed (only their hashes are trusted)."""
    by_signature = {}
    for d in digests.values():
        prev = d["doc"].get("previousDigestS3Object")
        if prev and d["doc"].get("previousDigestSignature"):
            by_signature[_relative(prev)] = d["doc"]["previousDigestSignature"]
    listed: set[str] = set()
    trusted: set[str] = set()
    for key in sorted(digests, key=lambda k: digests[k]["doc"]["digestEndTime"]):
        d = digests[key]
        doc = d["doc"]
        report.digests_checked += 1
        good = _signature_ok(key, d, by_signature.get(key), keys_by_fp, report)
        good = _link_ok(store, key, doc, digests, first, report) and good
        if good:
            report.digests_valid += 1
            trusted.add(key)
        for entry in doc.get("logFiles") or []:
            listed.add(_relative(entry["s3Object"]))
    return listed, trusted


def _signature_ok(key: str, d: dict, chained_signature: str | None, keys_by_fp: dict, report) -> bool:
    doc = d["doc"]
    if _relative(doc["digestS3Object"]) != key:
        report.add("digest_moved", key, f"digest says it lives at {doc['digestS3Object']}")
        return False
    public_key = keys_by_fp.get(doc["digestPublicKeyFingerprint"])
    if public_key is None:
        report.add("unknown_public_key", key, f"no public key with fingerprint {doc['digestPublicKeyFingerprint']}")
        return False
    signature = d["signature"] or chained_signature
    if signature is None:
        report.add("no_signature", key, "no signature metadata and no later digest in the chain")
        return False
    if d["signature"] and chained_signature and d["signature"] != chained_signature:
        report.add("chain_broken", key, "signature differs from the one recorded by the next digest")
        return False
    if not dg.signature_is_valid(doc, d["inflated"], signature, public_key):
        report.add("bad_signature", key, "RSA-SHA256 signature does not match the digest content")
        return False
    return True


def _link_ok(store: Store, key: str, doc: dict, digests: dict, first, report) -> bool:
    """The previous digest exists, and its hash and signature match what this one records."""
    prev = doc.get("previousDigestS3Object")
    if not prev:
        return True  # first digest of a chain (trail created or validation re-enabled)
    prev_key = _relative(prev)
    found = digests.get(prev_key)
    if found is None:
        blob = store.read(prev_key)
        if blob is None:
            if doc["digestStartTime"][:10] < first.isoformat():
                return True  # the previous digest lies before the range
            report.add("digest_missing", prev_key, f"referenced by {key} but not found")
            return False
        try:
            inflated = gzip.decompress(blob)
        except (OSError, EOFError):
            report.add("chain_broken", key, f"previous digest {prev_key} is not gzip")
            return False
        found = {"inflated": inflated, "signature": store.signature(prev_key)}
    if dg.sha256_hex(found["inflated"]) != doc.get("previousDigestHashValue"):
        report.add("chain_broken", key, f"hash of previous digest {prev_key} does not match")
        return False
    if found.get("signature") and found["signature"] != doc.get("previousDigestSignature"):
        report.add("chain_broken", key, f"signature of previous digest {prev_key} does not match")
        return False
    return True


def _check_logs(store: Store, digests: dict, trusted: set, listed: set, logs: dict, first, last,
                report) -> None:
    """Hash every listed log file delivered in the range; name the deleted and the unlisted,
    and those whose only listing is in a digest that failed its checks."""
    for digest_key, d in digests.items():
        for entry in d["doc"].get("logFiles") or []:
            key = _relative(entry["s3Object"])
            m = LOG_RE.search(key)
            if m is None or not first <= _key_day(m) <= last:
                continue
            report.log_files_checked += 1
            blob = store.read(key)
            if blob is None:
                report.add("deleted", key, "listed in a digest but not found")
                continue
            try:
                actual = dg.sha256_hex(gzip.decompress(blob))
            except (OSError, EOFError):
                actual = "not-gzip"
            if actual != entry.get("hashValue"):
                report.add("modified", key, "SHA-256 differs from the digest")
            elif digest_key not in trusted:
                report.add("unverified", key, f"listed only by digest {digest_key}, which failed its "
                                              "signature or chain check: the log or its digest entry "
                                              "may have been rewritten")
            else:
                report.log_files_valid += 1
    for key in logs:
        if key not in listed:
            report.add("unlisted", key, "log file not listed in any digest of the range")
