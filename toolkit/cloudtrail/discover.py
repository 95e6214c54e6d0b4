"""Find the raw deliveries that can hold one day's events, in the account and organization layouts.

Layouts (regions and accounts are discovered, never hard-coded):
``AWSLogs/<account>/<kind>/<region>/YYYY/MM/DD/<file>`` and
``AWSLogs/o-<org>/<account>/<kind>/<region>/YYYY/MM/DD/<file>``, where kind is ``CloudTrail``,
``CloudTrail-Digest`` or ``CloudTrail-Insight``. The folder date is the *delivery* date, so the
events of day D sit in the folders of D-lookback .. D+1.

Listing is literal: names are never patterns (a key may hold ``*?[]{}``), and the readers open
exactly the listed paths. On local disk symbolic links are followed; the walk has a fixed depth
(account, kind, region, day folder), so a link loop cannot make it recurse, and a dangling or
looping link is listed with its problem so the ingest quarantines it instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from dataclasses import dataclass

KINDS = {"CloudTrail": "events", "CloudTrail-Digest": "digest", "CloudTrail-Insight": "insights"}


@dataclass(frozen=True)
class RawFile:
    url: str    # full URL or absolute path, as the filesystem reads it
    key: str    # path relative to the raw root, starting with AWSLogs/ (the ``source_file``)
    size: int
    kind: str   # events | digest | insights
    problem: str | None = None  # why the entry cannot be read (dangling link, link loop)


def delivery_days(day: dt.date, lookback_days: int) -> list[dt.date]:
    """Delivery folders that can hold events of ``day``."""
    return [day + dt.timedelta(days=i) for i in range(-lookback_days, 2)]


def _children(fs, path: str, want: str) -> list[dict]:
    if _is_local(fs):
        return _local_children(path, want)
    try:
        return [e for e in fs.ls(path, detail=True) if e["type"] == want]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def _local_children(path: str, want: str) -> list[dict]:
    """Entries of a local folder, symbolic links followed; problems listed as files."""
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for e in entries:
        full = os.path.join(path, e.name)
        try:
            st = os.stat(full)  # follows links
        except OSError as exc:
            if want == "file" and e.is_symlink():
                out.append({"name": full, "size": 0, "type": "file",
                            "problem": f"dangling or looping symbolic link: {exc.strerror}"})
            continue
        is_dir = os.path.isdir(full)
        if want == "directory" and is_dir:
            out.append({"name": full, "type": "directory"})
        elif want == "file" and not is_dir:
            out.append({"name": full, "size": st.st_size, "type": "file"})
    return out


def _account_dirs(fs, root: str) -> list[str]:
    dirs = []
    for entry in _children(fs, root, "directory"):
        name = posixpath.basename(entry["name"].rstrip("/"))
        if name.startswith("o-"):  # organization trail: one more level of accounts
            dirs += [e["name"] for e in _children(fs, entry["name"], "directory")]
        else:
            dirs.append(entry["name"])
    return dirs


def find_raw_files(fs, raw_root: str, day: dt.date, lookback_days: int = 1) -> list[RawFile]:
    """Every file in the day's candidate delivery folders, sorted by key.

    Equivalent to ``list_folders(fs, raw_root, delivery_days(day, lookback_days))``.
    """
    return list_folders(fs, raw_root, delivery_days(day, lookback_days))


def list_folders(fs, raw_root: str, days: list[dt.date]) -> list[RawFile]:
    """Every file in the delivery folders of ``days`` (all accounts, kinds, regions), by key.

    Raises FileNotFoundError when ``<raw>/AWSLogs`` does not exist or cannot be listed.
    """
    is_s3 = raw_root.startswith("s3://")
    bare = raw_root.split("://", 1)[-1].rstrip("/")
    logs = f"{bare}/AWSLogs"
    fs.invalidate_cache()  # a long-lived process must see late deliveries on a re-run
    try:
        if not fs.isdir(logs):
            raise FileNotFoundError(f"no AWSLogs/ folder under raw location {raw_root}")
    except PermissionError as exc:
        raise FileNotFoundError(f"cannot read raw location {raw_root}: {exc}") from exc
    return sorted(_walk(fs, logs, bare, is_s3, days), key=lambda f: f.key)


def _walk(fs, logs: str, bare: str, is_s3: bool, days: list[dt.date]) -> list[RawFile]:
    found = []
    for account in _account_dirs(fs, logs):
        for kind_dir in _children(fs, account, "directory"):
            kind = KINDS.get(posixpath.basename(kind_dir["name"].rstrip("/")))
            if kind is None:
                continue
            for region in _children(fs, kind_dir["name"], "directory"):
                for d in days:
                    folder = f"{region['name'].rstrip('/')}/{d:%Y/%m/%d}"
                    for f in _children(fs, folder, "file"):
                        name = f["name"]
                        key = name.split(bare + "/", 1)[-1] if name.startswith(bare) else name
                        url = f"s3://{name}" if is_s3 else name
                        found.append(RawFile(url=url, key=key, size=int(f["size"] or 0), kind=kind,
                                             problem=f.get("problem")))
    return found
