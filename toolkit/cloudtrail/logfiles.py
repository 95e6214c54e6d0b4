"""What counts as a log file of a trail — the one definition ``ingest`` and ``verify`` share.

AWS writes log files under ``AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/`` named
``<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 chars>.json.gz``, and every hour a signed
digest under ``CloudTrail-Digest/`` listing the log files delivered in that hour with the
SHA-256 of their uncompressed content. Reference (seen 2026-11-29):
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html (log file name format)

Every file in a trail's ``CloudTrail/<region>/YYYY/MM/DD/`` folder is ingested, but one whose
name does not follow that format, or that no digest lists once the digests have passed its
delivery time, is *unlisted*: ``ingest`` flags it (manifest ``files_not_in_digest``, the
``source_listed`` column of its events) and ``verify`` reports it.
"""

from __future__ import annotations

import datetime as dt
import re

_TRAIL = r"AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/"
_DAY = r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
LOG_RE = re.compile(_TRAIL + r"CloudTrail/(?P<region>[a-z0-9-]+)/" + _DAY +
                    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$")
DIGEST_RE = re.compile(_TRAIL + r"CloudTrail-Digest/(?P<region>[a-z0-9-]+)/" + _DAY +
                       r"(?P=account)_CloudTrail-Digest_(?P=region)_.+_(?P<stamp>\d{8}T\d{6}Z)"
                       r"(?:_backfill)?\.json\.gz$")
# Any file in a delivery folder, whatever its name: the folders ``ingest`` reads.
FOLDER_RE = re.compile(r"AWSLogs/(?:o-[^/]+/)?(?P<account>[^/]+)/(?P<kind>CloudTrail|CloudTrail-Digest|"
                       r"CloudTrail-Insight)/(?P<region>[^/]+)/" + _DAY + r"[^/]+$")


def is_aws_log_name(key: str) -> bool:
    """True when ``key`` (relative to the raw root) is in AWS's exact log file key format."""
    return LOG_RE.search(key) is not None


def folder_day(key: str) -> dt.date | None:
    """The delivery day of a key in a delivery folder (None elsewhere or for an impossible date)."""
    m = FOLDER_RE.search(key)
    if m is None:
        return None
    try:
        return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


def trail_of(key: str) -> tuple[str, str] | None:
    """(account, region) of a log or digest key in a delivery folder."""
    m = FOLDER_RE.search(key)
    return (m["account"], m["region"]) if m else None


def delivered_at(key: str) -> dt.datetime | None:
    """Delivery time of an AWS-named log file (minute precision), from its name."""
    m = LOG_RE.search(key)
    return dt.datetime.strptime(m["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=dt.UTC) if m else None


def relative(s3_object: str) -> str:
    """A digest's ``s3Object`` as a key relative to the raw root (trail prefixes dropped)."""
    at = s3_object.find("AWSLogs/")
    return s3_object[at:] if at >= 0 else s3_object


def _utc(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


class Listing:
    """What a set of digest files lists: log key -> (SHA-256, digest key), and coverage.

    Built by ``add`` from parsed digest documents; ``status`` says whether a log file is
    listed with the right hash (True), provably unlisted (False), or not yet covered (None).
    """

    def __init__(self) -> None:
        self.logs: dict[str, tuple[str, str]] = {}
        self.covered_until: dict[tuple[str, str], dt.datetime] = {}

    def add(self, digest_key: str, doc: dict) -> None:
        for entry in doc.get("logFiles") or []:
            if isinstance(entry, dict) and isinstance(entry.get("s3Object"), str):
                self.logs[relative(entry["s3Object"])] = (str(entry.get("hashValue")), digest_key)
        trail, end = trail_of(digest_key), _utc(doc.get("digestEndTime"))
        if trail and end and end > self.covered_until.get(trail, end - dt.timedelta(seconds=1)):
            self.covered_until[trail] = end

    def status(self, key: str, sha256: str | None) -> tuple[bool | None, str | None]:
        """(listed, why not) for a log file read with content hash ``sha256``."""
        if not is_aws_log_name(key):
            return False, "name does not follow AWS's log file key format"
        if key in self.logs:
            if sha256 is not None and self.logs[key][0] != sha256:
                return False, f"SHA-256 differs from digest {self.logs[key][1]} (modified?)"
            return True, None
        until, when = self.covered_until.get(trail_of(key)), delivered_at(key)
        if until is not None and when is not None and when < until - dt.timedelta(minutes=1):
            return False, f"no digest lists it (digests cover this trail until {until:%Y-%m-%dT%H:%M:%SZ})"
        return None, None

    def digest_of(self, key: str) -> str | None:
        return self.logs.get(key, (None, None))[1]
