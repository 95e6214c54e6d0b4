"""The one CLI grammar: the argument helpers every verb's parser is built from.

Each ``add_*`` helper adds its options to a parser and records a check that ``validate`` runs
after parsing, before any work: day ranges, ``--out`` kinds, lake locations. So every verb says
``--start/--end`` (inclusive) or ``--date D``, ``-p/--param key=value``, ``--format``, ``--out``
the same way, and old spellings keep working for one release with a deprecation warning.
Standard library only (``trailwatch --help`` stays fast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

from toolkit.errors import NotALakeError, UsageError

# The first day a service's data can exist: CloudTrail launched in November 2013 (no account
# holds earlier events), CloudWatch in May 2009 (NAB's public CloudWatch series are from 2013-14).
FIRST_DAYS = {"CloudTrail": (dt.date(2013, 11, 1), "November 2013"),
              "CloudWatch": (dt.date(2009, 5, 1), "May 2009")}
ROW_FORMATS = ("table", "csv", "json", "parquet")
_CHECK = "_check_"  # prefix of the Namespace attributes that name post-parse checks


# --- deprecated spellings ----------------------------------------------------------------------

def deprecated(old: str, new: str) -> None:
    """One stderr line telling the user which spelling replaces ``old``."""
    print(f"trailwatch: warning: {old} is deprecated and will be removed in the next release; "
          f"use {new}", file=sys.stderr)


class DeprecatedStore(argparse.Action):
    """``--old VALUE`` stored like its replacement, with a deprecation warning."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        deprecated(option_string, self.new)
        setattr(namespace, self.dest, values)


class DeprecatedAppend(DeprecatedStore):
    def __call__(self, parser, namespace, values, option_string=None):
        deprecated(option_string, self.new)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), values])


# --- days ----------------------------------------------------------------------------------------

def day_arg(text: str, service: str = "CloudTrail") -> str:
    """A ``YYYY-MM-DD`` day ``service`` can hold data for: not before it existed, not after today (UTC)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
    today = dt.datetime.now(dt.UTC).date()
    first, launched = FIRST_DAYS[service]
    if day < first:
        raise argparse.ArgumentTypeError(f"{text} is before {service} existed ({launched})")
    if day > today:
        raise argparse.ArgumentTypeError(f"{text} is in the future (today is {today} UTC)")
    return day.isoformat()


def add_days(parser: argparse.ArgumentParser, *, required: bool = True, what: str = "day",
             service: str = "CloudTrail") -> None:
    """``--start D --end D`` (inclusive) or ``--date D``; ``--until`` is the old ``--end``. Days
    before ``service`` existed are refused."""
    def day(text: str) -> str:
        return day_arg(text, service)

    group = parser.add_argument_group("days (UTC, inclusive)")
    group.add_argument("--start", type=day, metavar="YYYY-MM-DD", help=f"first {what}")
    group.add_argument("--end", type=day, metavar="YYYY-MM-DD", help=f"last {what} (inclusive)")
    group.add_argument("--date", type=day, metavar="YYYY-MM-DD",
                       help=f"one {what}: short for --start D --end D")
    group.add_argument("--until", type=day, dest="until", action=DeprecatedStore, new="--end",
                       help=argparse.SUPPRESS)
    parser.set_defaults(**{f"{_CHECK}days": required})


def _check_days(args: argparse.Namespace, required: bool) -> None:
    start, end, date, until = args.start, args.end, args.date, args.until
    if until and end:
        raise UsageError("give --end once (--until is its old spelling)")
    end = end or until
    if date and (start or (end and not until)):
        raise UsageError("give either --date D (one day) or --start D --end D, not both")
    if date:
        start, end = date, end or date
    if bool(start) != bool(end):
        raise UsageError("give both --start and --end (inclusive), or --date D for one day")
    if required and not start:
        raise UsageError("which days? give --date D or --start D --end D (inclusive)")
    if start and end < start:
        raise UsageError(f"end {end} is before start {start}: the range is reversed")
    args.start, args.end = start, end
    args.days = _days(start, end) if start else []


def _days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


# --- parameters, formats, outputs ----------------------------------------------------------------

def add_params(parser: argparse.ArgumentParser, help: str = "parameter value (repeatable)") -> None:
    """``-p/--param KEY=VALUE`` (repeatable) into ``args.param``; ``--parameter`` is deprecated."""
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", help=help)
    parser.add_argument("--parameter", dest="param", action=DeprecatedAppend, new="-p/--param",
                        help=argparse.SUPPRESS)


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{k: v}`` with a one-line error naming a malformed pair."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"parameter must look like key=value, got {pair!r}")
        values[key.strip()] = value
    return values


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ROW_FORMATS,
               default: str = "table", aliases: dict[str, str] | None = None) -> None:
    """``--format`` with the verb's choices; ``aliases`` maps old names (deprecated) to new."""
    aliases = aliases or {}

    def fmt(text: str) -> str:
        if text in aliases:
            deprecated(f"--format {text}", f"--format {aliases[text]}")
            return aliases[text]
        if text not in choices:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)}")
        return text

    parser.add_argument("--format", type=fmt, default=default, metavar="|".join(choices),
                        help=f"output format (default {default})")


def add_out(parser: argparse.ArgumentParser, kind: str, *, required: bool = False,
            help: str | None = None) -> None:
    """``--out``: a FILE for single-output verbs, a DIR for multi-output verbs (checked up front)."""
    assert kind in ("file", "folder")
    parser.add_argument("--out", required=required, metavar="FILE" if kind == "file" else "DIR",
                        help=help or ("output file" if kind == "file" else "output folder"))
    parser.set_defaults(**{f"{_CHECK}out": kind})


def _check_out(args: argparse.Namespace, kind: str) -> None:
    out = args.out
    if not out or out.startswith("s3://"):
        return
    path = os.path.abspath(os.path.expanduser(out))
    if kind == "file":
        if os.path.isdir(path):
            raise UsageError(f"--out {out} is a folder; this verb writes one file: give a file path")
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            raise UsageError(f"--out {out}: folder {parent} does not exist; create it first")
        _require_writable(parent, "--out")
    else:
        if os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"--out {out} is a file; this verb writes several files: give a folder")
        _require_writable(path, "--out")


# --- lake ----------------------------------------------------------------------------------------

def add_lake(parser: argparse.ArgumentParser, mode: str | None, *, required: bool = False) -> None:
    """``--lake URL``; ``mode`` "read" (must be a trailwatch lake), "write" (must be writable) or
    None (checked by the verb itself when it reads, e.g. ``query --list`` needs no lake)."""
    assert mode in ("read", "write", None)
    parser.add_argument("--lake", required=required,
                        help="lake root: path, file:// or s3:// (default $TRAILWATCH_LAKE or ./lake)")
    if mode:
        parser.set_defaults(**{f"{_CHECK}lake": mode})


def add_engine(parser: argparse.ArgumentParser,
               help: str = "SQL engine: duckdb or athena (default $TRAILWATCH_ENGINE)") -> None:
    """``--engine duckdb|athena`` (None: the environment's ``TRAILWATCH_ENGINE``)."""
    parser.add_argument("--engine", choices=("duckdb", "athena"), help=help)


def add_allow_scan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-scan", action="store_true",
                        help="run on Athena even above the scan limit (TRAILWATCH_SCAN_LIMIT_BYTES)")


def _check_lake(args: argparse.Namespace, mode: str) -> None:
    from toolkit.config import Settings

    url = Settings.from_env(lake=args.lake).lake
    if mode == "read":
        check_is_lake(url)
    else:
        check_writable_lake(url)


def check_is_lake(url: str) -> None:
    """Raise ``NotALakeError`` unless ``url`` holds at least one trailwatch table."""
    from toolkit.lake import TABLES, Lake

    lake = Lake.at(url)
    if not lake.is_s3 and os.path.isfile(lake.root):
        raise NotALakeError(f"lake {url} is a file, not a trailwatch lake folder")
    fs = lake.fs
    if not fs.exists(lake.root):
        raise NotALakeError(f"no lake at {url}: check --lake / TRAILWATCH_LAKE, or run "
                            "`trailwatch ingest` first")
    if not any(fs.exists(lake.table(name)) for name in TABLES):
        raise NotALakeError(f"{url} is not a trailwatch lake (none of its tables is there): check "
                            "--lake / TRAILWATCH_LAKE, or run `trailwatch ingest` first")


def check_writable_lake(url: str) -> None:
    """Raise ``UsageError`` before any work when a local lake cannot be written."""
    from toolkit.lake import Lake

    lake = Lake.at(url)
    if lake.is_s3:
        return  # S3 permissions show only on the first write; IAM errors surface then
    if os.path.exists(lake.root) and not os.path.isdir(lake.root):
        raise UsageError(f"lake {url} is a file; give a folder (or a new path) for the lake")
    _require_writable(lake.root, "lake")


def _require_writable(path: str, what: str) -> None:
    """The nearest existing folder at or above ``path`` must be writable."""
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise UsageError(f"{what} {path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path} is not writable ({probe} is read-only); "
                         "choose a writable location")


def add_allow_empty(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-empty", action="store_true",
                        help="accept missing days/tables: warn, print the empty answer, exit 0")


# --- after parsing -------------------------------------------------------------------------------

_CHECKS = {"days": _check_days, "out": _check_out, "lake": _check_lake}


def validate(args: argparse.Namespace) -> None:
    """Run the checks the parser's helpers registered, in a fixed order (cheap ones first)."""
    for name, check in _CHECKS.items():
        spec = getattr(args, _CHECK + name, None)
        if spec is not None:
            check(args, spec)
