"""The file index: which raw files earlier runs read, and what each held (read-once ingest).

One JSON document per delivery folder day under ``<lake>/cloudtrail/_runs/files/``: raw key ->
size, SHA-256 of the uncompressed content, records per event day, digest status, quarantine
reason. ``ingest`` skips a file listed here with the same size; ``export --with-source`` reads
the hashes from here.
"""

from __future__ import annotations

import datetime as dt
import json

from toolkit import lake as lakes
from toolkit.cloudtrail import logfiles


def index_url(lake: lakes.Lake, folder: dt.date) -> str:
    return lakes.join(lake.table("ingest_runs"), "files", f"{folder.isoformat()}.json")


def load_index(lake: lakes.Lake, folders: list[dt.date]) -> dict[str, dict]:
    """key -> entry of every file an earlier run read in these delivery folders."""
    found = {}
    for folder in folders:
        url = index_url(lake, folder)
        if lake.fs.exists(url):
            found.update(json.loads(lake.fs.cat_file(url)))
    return found


def save_index(lake: lakes.Lake, entries: dict[str, dict]) -> None:
    """Merge this run's entries into the per-folder index files (atomic writes)."""
    by_folder: dict[dt.date, dict] = {}
    for key, entry in entries.items():
        folder = logfiles.folder_day(key)
        if folder is not None and "size" in entry:
            by_folder.setdefault(folder, {})[key] = entry
    for folder, new in by_folder.items():
        merged = load_index(lake, [folder])
        merged.update(new)
        lake.write_text(index_url(lake, folder), json.dumps(merged, indent=1, sort_keys=True) + "\n")
