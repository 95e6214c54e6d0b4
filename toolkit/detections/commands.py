"""CLI verbs of toolkit.detections: ``rules list``, ``rules test`` and ``detect``."""

from __future__ import annotations

import argparse
import json
import sys

from toolkit import cli_args

EXIT_TESTS_FAILED = 1


def register(subparsers) -> None:
    rules = subparsers.add_parser("rules", help="list or test the detection rule library",
                                  description="The detection rules (YAML files, one per rule).")
    verbs = rules.add_subparsers(dest="rules_verb", metavar="SUBCOMMAND", required=True)
    listing = verbs.add_parser("list", help="table of rules: id, severity, tactic, technique, title")
    _rules_dir(listing)
    cli_args.add_format(listing)
    listing.add_argument("--source", choices=("native", "sequence", "sigma"),
                         help="only rules of this origin (sigma: the imported SigmaHQ pack)")
    listing.set_defaults(func=run_rules_list)
    coverage = verbs.add_parser(
        "coverage", help="ATT&CK techniques covered by native, sequence and Sigma rules",
        description="Rules per MITRE ATT&CK technique by origin; --stratus: Stratus Red Team's "
                    "AWS techniques and the rules that detect each.")
    _rules_dir(coverage)
    coverage.add_argument("--stratus", action="store_true", help="the Stratus Red Team catalogue")
    cli_args.add_format(coverage, choices=("table", "json"))
    coverage.set_defaults(func=run_rules_coverage)
    sigma = verbs.add_parser(
        "import-sigma", help="compile Sigma rules (product aws, service cloudtrail) into rules",
        description="Parse Sigma YAML files (pySigma), compile each detection to Athena SQL over "
                    "the events table and write one trailwatch rule per Sigma rule, keeping its "
                    "id, title, author, level, ATT&CK tags and references. Rules that cannot be "
                    "compiled are listed with the reason; exit 1 if none compiled.")
    sigma.add_argument("paths", nargs="+", metavar="PATH", help="Sigma .yml files or folders")
    sigma.add_argument("--out", metavar="DIR", required=True,
                       help="rule directory to write into (rules go to DIR/<tactic>/<id>.yml)")
    sigma.set_defaults(func=run_import_sigma)
    testing = verbs.add_parser("test", help="run every rule against its inline test events",
                               description="Positives must match, negatives must not; exit 1 "
                                           "if any rule fails.")
    _rules_dir(testing)
    testing.add_argument("--rule", action="append", metavar="ID", help="test only these rule ids")
    testing.set_defaults(func=run_rules_test)
    show = verbs.add_parser("show", help="a rule's metadata and the Athena SQL detect runs (dry run)")
    _rules_dir(show)
    show.add_argument("rule_id", metavar="ID")
    show.add_argument("--start", default="2025-01-01", help="day the printed parameters start at")
    show.add_argument("--end", default=None, help="last day of the printed parameters")
    show.set_defaults(func=run_rules_show)

    detect = subparsers.add_parser(
        "detect", help="run the rules over the lake and write <lake>/findings/dt=D/",
        description="Run every rule over events from --start to --end (inclusive) and replace "
                    "each day's findings partition (idempotent).")
    cli_args.add_lake(detect, "read")
    cli_args.add_days(detect)
    _rules_dir(detect)
    cli_args.add_format(detect)
    cli_args.add_out(detect, "file", help="write the findings rows here (in --format)")
    cli_args.add_allow_empty(detect)
    cli_args.add_engine(detect)
    detect.add_argument("--source", action="append", choices=("native", "sequence", "sigma"),
                        help="run only rules of this origin (repeatable; default: all)")
    detect.add_argument("--hunting", action="store_true",
                        help="also run hunting rules (broad queries such as Sigma's AssumeRole misuse)")
    cli_args.add_allow_scan(detect)
    detect.set_defaults(func=run_detect)


def _rules_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="DIR", help="rule directory (default: the packaged library)")


def run_rules_list(args) -> int:
    from toolkit.cli_output import emit_rows
    from toolkit.detections.rules import load_rules

    rules = load_rules(args.rules)
    if args.source:
        rules = [r for r in rules if r.source == args.source]
    rows = [{"id": r.id, "severity": r.severity, "tactic": r.tactic, "technique": r.technique,
             "title": r.title, "kind": r.kind,
             "outcome": r.outcome, "source": r.source, "hunting": r.hunting,
             "sigma_id": (r.sigma or {}).get("id")} for r in rules]
    emit_rows(rows, args.format, table=lambda rows: _rules_table(rows, args.source))
    return 0


def _rules_table(rows: list[dict], source: str | None) -> str:
    import io

    text = io.StringIO()
    print_table(("id", "severity", "tactic", "technique", "source", "title"),
                [(r["id"], r["severity"], r["tactic"], r["technique"],
                  r["source"] + (" (hunting)" if r["hunting"] else ""), r["title"]) for r in rows],
                out=text)
    return (text.getvalue() + f"\n{len(rows)} rules" + (f" from {source}" if source else "")
            + ("" if rows else " (none of that source in this rule directory)") + "\n")


def run_rules_coverage(args) -> int:
    from toolkit.detections.coverage import coverage_frame, stratus_frame
    from toolkit.detections.rules import load_rules

    rules = load_rules(args.rules)
    frame = stratus_frame(rules) if args.stratus else coverage_frame(rules)
    if args.format == "json":
        print(json.dumps(frame.to_dicts(), indent=2))
        return 0
    if args.stratus:
        print_table(("stratus technique", "attack", "rules"),
                    [(r["stratus_technique"], r["attack"], r["rules"] or "NOT COVERED")
                     for r in frame.iter_rows(named=True)])
        print(f"\n{int(frame['covered'].sum())} of {frame.height} Stratus Red Team AWS techniques covered")
        return 0
    print_table(("technique", "name", "native", "sequence", "sigma"),
                [(r["technique"], r["technique_name"], r["native"], r["sequence"], r["sigma"])
                 for r in frame.iter_rows(named=True)])
    print(f"\n{frame.height} ATT&CK techniques covered by {len(rules)} rules")
    return 0


def run_import_sigma(args) -> int:
    from toolkit.detections.sigma import import_sigma

    report = import_sigma(args.paths, args.out)
    for path, reason in report.skipped:
        print(f"SKIP  {path}: {reason}")
    for path, rule_id in report.compiled:
        print(f"OK    {path} -> {rule_id}")
    print(f"\n{len(report.compiled)} of {report.total} Sigma rules compiled into {args.out}")
    return 0 if report.compiled else 1


def run_rules_test(args) -> int:
    from toolkit.detections.rules import load_rules
    from toolkit.detections.testing import run_rule_tests

    rules = load_rules(args.rules)
    if args.rule:
        unknown = sorted(set(args.rule) - {r.id for r in rules})
        if unknown:
            raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
        rules = [r for r in rules if r.id in set(args.rule)]
    results = run_rule_tests(rules)
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        print(f"{status}  {result.rule_id}  ({result.positives} positive, {result.negatives} negative)")
        for problem in result.problems:
            print(f"      {problem}")
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed, {len(results)} rules")
    return EXIT_TESTS_FAILED if failed else 0


def run_rules_show(args) -> int:
    from toolkit.detections.rules import load_rules
    from toolkit.detections.sql import compile_rule, rule_params

    rule = next((r for r in load_rules(args.rules) if r.id == args.rule_id), None)
    if rule is None:
        raise ValueError(f"unknown rule id {args.rule_id!r} (see: trailwatch rules list)")
    print(f"{rule.id}: {rule.title}\nseverity {rule.severity}, {rule.tactic} ({rule.tactic_id}), "
          f"{rule.technique} {rule.technique_name}, kind {rule.kind}, source {rule.source}\n"
          f"outcome {rule.outcome}" + (f" (nothing succeeded: 'Attempted', {rule.severity_if_attempted})"
                                       if rule.outcome == "any" else "")
          + f"\nfile {rule.path}\n")
    print(rule.description + "\n\nreferences:\n  " + "\n  ".join(rule.references) + "\n")
    print(f"-- parameters: {json.dumps(rule_params(rule, args.start, args.end or args.start))}")
    print(compile_rule(rule))
    return 0


def run_detect(args) -> int:
    from toolkit.cli_output import emit_rows, json_default, write_text
    from toolkit.config import Settings
    from toolkit.detections.runner import run_detections
    from toolkit.engines import coverage
    from toolkit.lake import Lake

    settings = Settings.from_env(lake=args.lake, engine=args.engine)
    coverage.check(Lake.at(settings.lake, settings.endpoint_url),
                   {"events": coverage.window(args.start, args.end)}, allow_empty=args.allow_empty)
    cli_args.check_writable_lake(settings.lake)  # findings are written back: fail before the work
    findings = run_detections(settings.lake, args.start, args.end, args.rules, settings,
                              allow_scan=args.allow_scan,
                              sources=tuple(args.source) if args.source else None,
                              hunting=args.hunting)
    if args.format == "json":  # one finding object per line (JSON Lines), details as an object
        write_text("".join(json.dumps({**row, "details": json.loads(row["details"])},
                                      sort_keys=True, default=json_default) + "\n"
                           for row in findings.iter_rows(named=True)), args.out)
        return 0
    if args.format != "table" or args.out:
        emit_rows(findings, args.format, args.out)
        return 0
    rows = [(f["dt"], f["severity"], f["outcome"], f["rule_id"], f["principal_arn"] or "-",
             f["source_ip_address"] or "-", str(f["event_count"]))
            for f in findings.sort(["dt", "first_seen"]).iter_rows(named=True)]
    print_table(("day", "severity", "outcome", "rule", "principal", "first source ip", "events"), rows)
    counts = findings.group_by("severity").len().rows() if findings.height else []
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts, key=lambda c: c[0]))
    print(f"\n{findings.height} findings ({summary or 'none'}) written to "
          f"{settings.lake}/findings for {args.start}..{args.end}")
    return 0


def print_table(header: tuple[str, ...], rows: list[tuple], out=None) -> None:
    """A plain fixed-width text table (to ``out``, default the current ``sys.stdout``)."""
    out = out or sys.stdout
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(header)]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip(), file=out)
