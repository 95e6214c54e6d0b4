"""The ingest run manifest: counters that must add up, checked before the manifest is written."""

from __future__ import annotations

COUNTERS = ("files_seen", "files_read", "files_quarantined", "records_in", "records_written",
            "duplicates_dropped", "records_quarantined", "records_other_days", "bytes_raw")


class ManifestError(RuntimeError):
    """The run's counters do not add up: something was lost or double counted."""


def check_manifest(manifest: dict) -> dict:
    """Raise ManifestError unless the counters are complete, non-negative and add up.

    ``records_in == records_written + duplicates_dropped + records_quarantined +
    records_other_days``: every record read by the run (in the files it read, including the
    records a damaged file yielded before its damage) was added to its day's partition, dropped
    as a duplicate of an event already there, or quarantined; ``records_other_days`` is 0 since
    the ingest routes every record to its own day (older manifests counted records of other
    days there). Every file seen was read,
    quarantined, skipped as a digest, or skipped because an earlier run read it
    (``files_already_read``).
    """
    missing = [c for c in COUNTERS if not isinstance(manifest.get(c), int)]
    if missing:
        raise ManifestError(f"manifest for {manifest.get('day')} lacks counters {missing}")
    negative = [c for c in COUNTERS if manifest[c] < 0]
    if negative:
        raise ManifestError(f"manifest for {manifest.get('day')} has negative counters {negative}")
    accounted = (manifest["records_written"] + manifest["duplicates_dropped"]
                 + manifest["records_quarantined"] + manifest["records_other_days"])
    if manifest["records_in"] != accounted:
        raise ManifestError(
            f"manifest for {manifest.get('day')}: records_in={manifest['records_in']} but "
            f"written+duplicates+quarantined+other_days={accounted}")
    files = (manifest["files_read"] + manifest["files_quarantined"]
             + manifest.get("digest_files_skipped", 0) + manifest.get("files_already_read", 0))
    if manifest["files_seen"] != files:
        raise ManifestError(
            f"manifest for {manifest.get('day')}: files_seen={manifest['files_seen']} but "
            f"read+quarantined+digest_skipped+already_read={files}")
    return manifest
