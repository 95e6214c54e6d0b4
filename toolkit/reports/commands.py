"""CLI verb of toolkit.reports: ``trailwatch report cost|forensic|digest``."""

from __future__ import annotations

import argparse
import sys

REPORT_CHOICES = ("cost", "forensic", "digest")  # = toolkit.reports.REPORTS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="run a report notebook (papermill) and write .ipynb + offline .html",
        description="Execute a parameterized report notebook on the 'trailwatch' kernel and "
                    "write the executed notebook and a self-contained HTML under new names.")
    parser.add_argument("report", choices=REPORT_CHOICES, help="which report notebook")
    parser.add_argument("--lake", help="lake URL (default: TRAILWATCH_LAKE or ./lake)")
    parser.add_argument("-p", "--parameter", dest="parameters", action="append", default=[],
                        metavar="KEY=VALUE", help="notebook parameter (repeatable), typed as "
                        "the notebook's default; `--list-parameters` shows them")
    parser.add_argument("--out", help="directory (or s3:// prefix) for the outputs")
    parser.add_argument("--list-parameters", action="store_true",
                        help="print the notebook's parameters and exit")
    parser.set_defaults(func=handle)


def _list_parameters(report: str) -> int:
    from toolkit.reports import notebook_parameters

    for name, spec in notebook_parameters(report).items():
        print(f"{name:<16} {spec['type']:<6} {spec['default']!r:<28} {spec['help']}")
    return 0


def handle(args: argparse.Namespace) -> int:
    from toolkit.config import Settings
    from toolkit.reports import run_report
    from toolkit.reports.params import parse_assignments
    from toolkit.reports.runner import ReportCellError

    if args.list_parameters:
        return _list_parameters(args.report)
    if not args.out:
        raise ValueError("--out DIR is required")
    parameters = parse_assignments(args.parameters)
    lake = args.lake or parameters.get("lake") or Settings.from_env().lake
    if "lake" in parameters and parameters["lake"] != lake:
        raise ValueError("give the lake once: --lake and -p lake= disagree")
    parameters["lake"] = lake
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
