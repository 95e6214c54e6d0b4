"""The ingest run manifest: counters that must add up, checked before the manifest is written."""

from __future__ import annotations

COUNTERS = ("files_seen", "files_read", "files_quarantined", "records_in", "records_written",
            "duplicates_dropped", "records_quarantined", "records_other_days", "bytes_raw")


class ManifestError(RuntimeError):
    """The run's counters do not add up: something was lost or double counted."""


def check_manifest(manifest: dict) -> dict:
    """Raise ManifestError unless the counters are complete, non-negative and add up.

    ``records_in == records_written + duplicates_dropped + records_quarantined +
    records_other_days``, and every file seen was read, quarantined or skipped by kind.
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
             + manifest.get("digest_files_skipped", 0))
    if manifest["files_seen"] != files:
        raise ManifestError(
            f"manifest for {manifest.get('day')}: files_seen={manifest['files_seen']} but "
            f"read+quarantined+digest_skipped={files}")
    return manifest
