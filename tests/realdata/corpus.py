"""The real-record corpus (tests/fixtures/cloudtrail/public/, SOURCES.md there) laid out as a
CloudTrail delivery tree, with the truth the tests check the CLI against.

Every record keeps its text exactly as found in its source; only the envelope around it
(``{"Records":[...]}``), the file names and folders are ours, in AWS's layout:
``AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<16>.json.gz``
with one file per account, region and 5-minute window, delivered 5 minutes after the window
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
"CloudTrail log file name format", read 2026-12-08). Files that were real delivery files already
(cloud-snitch, trailscraper) are copied byte for byte. Deliberate real-world quirks: a compact
envelope for compact sources and an indented one for indented sources, one record delivered late
into the next day's folder, one file delivered three times under three names.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.sample.delivery import gzip_bytes, log_prefix

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cloudtrail"
PUBLIC = FIXTURES / "public"
# Real delivery files kept elsewhere in the fixtures: (file, key under the raw root).
DELIVERED = [
    *[(p, p.relative_to(FIXTURES / "cloud-snitch").as_posix())
      for p in sorted((FIXTURES / "cloud-snitch" / "AWSLogs").rglob("*.json.gz"))],
    *[(p, "AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/" + p.name)
      for p in sorted((FIXTURES / "trailscraper").glob("*.json.gz"))],
]
ORG_ID = "o-rd0realdata"
WINDOW = 300  # seconds: CloudTrail writes a file per ~5 minutes
REDELIVERIES = 2  # extra copies of one file, each under its own name
_decoder = json.JSONDecoder()


def record_texts(text: str) -> list[str]:
    """The exact text of each record of a source: a JSON array or a ``{"Records": [...]}``."""
    doc = json.loads(text)
    start = 0
    if isinstance(doc, dict):
        start = text.index('"Records"')
        start = text.index("[", start + len('"Records"'))
    else:
        start = text.index("[")
    out, i = [], start + 1
    while True:
        while text[i] in " \t\r\n,":
            i += 1
        if text[i] == "]":
            break
        _, end = _decoder.raw_decode(text, i)
        out.append(text[i:end])
        i = end
    assert len(out) == len(doc["Records"] if isinstance(doc, dict) else doc), "record spans"
    return out


@dataclass
class Record:
    text: str
    source: str
    indented: bool

    @property
    def doc(self) -> dict:
        return json.loads(self.text)

    @property
    def event_id(self) -> str:
        return self.doc["eventID"]

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.strptime(self.doc["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)

    @property
    def account(self) -> str:
        d = self.doc
        return d.get("recipientAccountId") or d["userIdentity"]["accountId"]


@dataclass
class Tree:
    """What was laid out: every file key -> its records, and each record's delivered text."""
    root: Path
    files: dict[str, list[Record]] = field(default_factory=dict)
    late_event_id: str = ""
    redelivered: list[str] = field(default_factory=list)

    @property
    def records(self) -> dict[str, Record]:
        """eventID -> record (each event once, whatever the redeliveries)."""
        return {r.event_id: r for recs in self.files.values() for r in recs}

    def days(self) -> list[dt.date]:
        return sorted({r.time.date() for r in self.records.values()})


def public_records() -> list[Record]:
    out = []
    for path in sorted(PUBLIC.rglob("*.json.gz")):
        text = gzip.decompress(path.read_bytes()).decode()
        indented = "\n" in text
        out += [Record(t, path.relative_to(PUBLIC).as_posix(), indented) for t in record_texts(text)]
    return out


def delivered_records() -> dict[str, list[Record]]:
    """The records of the files that were real deliveries already, by their key."""
    out = {}
    for path, key in DELIVERED:
        text = gzip.decompress(path.read_bytes()).decode()
        out[key] = [Record(t, path.relative_to(FIXTURES).as_posix(), "\n" in text)
                    for t in record_texts(text)]
    return out


def envelope(records: list[Record]) -> bytes:
    """``{"Records":[...]}`` around the texts as found: compact, or indented like the source."""
    if any(r.indented for r in records):
        return ('{\n   "Records": [\n' + ",\n".join(r.text for r in records) + "\n   ]\n}").encode()
    return ('{"Records":[' + ",".join(r.text for r in records) + "]}").encode()


def _stamp(t: dt.datetime) -> str:
    return t.strftime("%Y%m%dT%H%MZ")


def _key(account: str, region: str, delivered: dt.datetime, body: bytes, n: int = 0) -> str:
    prefix = log_prefix(account, ORG_ID if int(account) % 2 else None)
    suffix = hashlib.sha256(body + bytes([n])).hexdigest()[:16]
    return (f"{prefix}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{_stamp(delivered)}_{suffix}.json.gz")


def build(root: Path) -> Tree:
    """Lay out the corpus under ``root`` (the raw root holding AWSLogs/) and return its truth."""
    tree = Tree(root)
    for key, recs in delivered_records().items():
        dest = root / key
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(next(p for p, k in DELIVERED if k == key), dest)
        tree.files[key] = recs
    records = public_records()
    # The latest event of the corpus's busiest day goes out late, into the next day's folder.
    late = max(records, key=lambda r: (sum(x.time.date() == r.time.date() for x in records), r.time))
    tree.late_event_id = late.event_id
    groups: dict[tuple, list[Record]] = {}
    for r in records:
        window = int(r.time.timestamp()) // WINDOW * WINDOW
        late_one = r is late
        groups.setdefault((r.account, r.doc["awsRegion"], window, late_one), []).append(r)
    for (account, region, window, late_one), recs in sorted(groups.items()):
        recs.sort(key=lambda r: r.time)
        body = envelope(recs)
        delivered = dt.datetime.fromtimestamp(window + 2 * WINDOW, dt.UTC)
        if late_one:
            delivered = dt.datetime.combine(recs[0].time.date() + dt.timedelta(days=1),
                                            dt.time(0, 7), dt.UTC)
        copies = 1 + (REDELIVERIES if not tree.redelivered and len(recs) > 2 else 0)
        for n in range(copies):
            key = _key(account, region, delivered + dt.timedelta(minutes=n), body, n)
            dest = root / key
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(gzip_bytes(body))
            tree.files[key] = recs
            if copies > 1:
                tree.redelivered.append(key)
    ids = [r.event_id for recs in tree.files.values() for r in recs]
    assert len(set(ids)) == len(ids) - REDELIVERIES * len(tree.files[tree.redelivered[0]]), \
        "an eventID occurs in two sources"
    return tree


def day_runs(days: list[dt.date]) -> list[tuple[str, str]]:
    """Consecutive days grouped: [(first, last), ...] as ISO strings (one CLI call per run)."""
    runs: list[list] = []
    for d in days:
        if runs and (d - runs[-1][1]).days == 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return [(str(a), str(b)) for a, b in runs]
