"""CLI verb of toolkit.reports: ``trailwatch report cost|forensic|digest``."""

from __future__ import annotations

import argparse
import sys

from toolkit import cli_args

REPORT_CHOICES = ("cost", "forensic", "digest")  # = toolkit.reports.REPORTS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="run a report notebook (papermill) and write .ipynb + offline .html",
        description="Execute a parameterized report notebook on the 'trailwatch' kernel and "
                    "write the executed notebook and a self-contained HTML under new names.")
    parser.add_argument("report", choices=REPORT_CHOICES, help="which report notebook")
    cli_args.add_lake(parser, None)  # --list-parameters reads no lake
    cli_args.add_params(parser, help="notebook parameter (repeatable), typed as the notebook's "
                                     "default; `--list-parameters` shows them")
    cli_args.add_days(parser, required=False, what="day of the window (sets start/end, or day)")
    cli_args.add_out(parser, "folder", help="directory (or s3:// prefix) for the outputs")
    cli_args.add_allow_empty(parser)
    parser.add_argument("--list-parameters", action="store_true",
                        help="print the notebook's parameters and exit")
    parser.set_defaults(func=handle)


def _list_parameters(report: str) -> int:
    from toolkit.reports import notebook_parameters

    for name, spec in notebook_parameters(report).items():
        print(f"{name:<16} {spec['type']:<6} {spec['default']!r:<28} {spec['help']}")
    return 0


# The table each report reads over its window (its date parameters).
REPORT_TABLES = {"cost": "events", "forensic": "events", "digest": "findings"}


def _window(args: argparse.Namespace, parameters: dict) -> dict:
    """--start/--end/--date as the notebook's date parameters (``day`` for the digest)."""
    if not args.start:
        return {}
    names = ("day",) if args.report == "digest" else ("start", "end")
    clash = sorted(set(names) & set(parameters))
    if clash:
        raise ValueError(f"give the days once: --start/--end/--date and -p {'/'.join(clash)}")
    if args.report == "digest":
        if args.start != args.end:
            raise ValueError("the digest covers one day: use --date D")
        return {"day": args.start}
    return {"start": args.start, "end": args.end}


def _check_inputs(report: str, parameters: dict, allow_empty: bool) -> None:
    """A report over a window must find its lake and data (notebooks without dates: no check)."""
    from toolkit.engines import coverage
    from toolkit.lake import Lake
    from toolkit.reports import notebook_parameters

    declared = notebook_parameters(report)
    values = {k: parameters.get(k, spec["default"]) for k, spec in declared.items()}
    if "start" in declared and "end" in declared:
        start, end = str(values["start"]), str(values["end"])
    elif "day" in declared:
        start = end = str(values["day"])
    else:
        return
    cli_args.check_is_lake(parameters["lake"])
    lake = Lake.at(parameters["lake"])
    coverage.check(lake, {REPORT_TABLES.get(report, "events"): coverage.window(start, end)},
                   allow_empty=allow_empty)


def handle(args: argparse.Namespace) -> int:
    from toolkit.config import Settings
    from toolkit.reports import run_report
    from toolkit.reports.params import parse_assignments
    from toolkit.reports.runner import ReportCellError

    if args.list_parameters:
        return _list_parameters(args.report)
    if not args.out:
        raise ValueError("--out DIR is required")
    parameters = parse_assignments(args.param)
    lake = args.lake or parameters.get("lake") or Settings.from_env().lake
    if "lake" in parameters and parameters["lake"] != lake:
        raise ValueError("give the lake once: --lake and -p lake= disagree")
    parameters["lake"] = lake
    parameters.update(_window(args, parameters))
    _check_inputs(args.report, parameters, args.allow_empty)
    try:
        run = run_report(args.report, args.out, parameters)
    except ReportCellError as exc:
        print(f"trailwatch report: error: {exc}", file=sys.stderr)
        print(exc.traceback, file=sys.stderr)
        for note in getattr(exc, "__notes__", []):
            print(note, file=sys.stderr)
        return 1
    print(f"report {run.report} run {run.run_id}")
    print(f"  notebook: {run.notebook}")
    print(f"  html:     {run.html}")
    return 0
