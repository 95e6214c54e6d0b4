"""CLI verbs of toolkit.integrity (registered by toolkit.cli)."""

from __future__ import annotations

import json
import sys

from toolkit import cli_args


def register(subparsers) -> None:
    """Add ``trailwatch verify``."""
    p = subparsers.add_parser(
        "verify", help="validate CloudTrail log files against signed digest files (offline)",
        description="Check digest signatures (RSA-SHA256 over AWS's documented string to sign), the "
                    "digest chain and every log file's SHA-256; report modified, deleted and unlisted "
                    "files, digest chains that stop before the end of the range, and logs listed only by a digest "
                    "that failed. Exit 5 when anything fails.")
    p.add_argument("--raw", required=True, help="raw location holding AWSLogs/ (path or s3://bucket/prefix)")
    cli_args.add_days(p, what="delivery day")
    p.add_argument("--public-keys", required=True,
                   help="JSON output of `aws cloudtrail list-public-keys` (local path or s3://)")
    p.add_argument("--endpoint-url", default=None, help="S3 endpoint (default: AWS_ENDPOINT_URL)")
    cli_args.add_format(p, choices=("table", "json"))
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.integrity.verify import verify
    from toolkit.lake import filesystem

    fs = filesystem(args.public_keys, args.endpoint_url)
    try:
        with fs.open(args.public_keys, "rb") as fh:
            keys = json.loads(fh.read())
    except ValueError as exc:
        raise ValueError(f"{args.public_keys} is not JSON: {exc}") from None
    report = verify(args.raw, args.start, args.end, keys, endpoint_url=args.endpoint_url)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        _print_table(report)
    from toolkit.errors import EXIT_INTEGRITY

    return 0 if report.ok else EXIT_INTEGRITY


def _print_table(report) -> None:
    out = sys.stdout
    out.write(f"Validated deliveries {report.start} to {report.end}\n")
    out.write(f"{report.digests_valid}/{report.digests_checked} digest files valid\n")
    out.write(f"{report.log_files_valid}/{report.log_files_checked} log files valid\n")
    for p in report.problems:
        out.write(f"{p['kind'].upper()}\t{p['key']}\t{p['detail']}\n")
    counts = report.counts()
    out.write("OK: no problems found\n" if report.ok else
              "FAILED: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + "\n")
