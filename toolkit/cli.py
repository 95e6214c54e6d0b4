"""The ``trailwatch`` command: a thin argparse front over the toolkit.

Each area owns its verbs in a ``commands`` module exposing ``register(subparsers)``; those
modules import only argparse at top level and do the heavy imports inside their handlers, so
``trailwatch --help`` stays fast. Their options come from ``toolkit.cli_args`` (one grammar for
every verb). A handler returns the process exit code; errors become one line on stderr and the
exit code of ``toolkit.errors`` (the README's exit code table).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from toolkit import errors

log = logging.getLogger("toolkit.cli")

# Order = order of verbs in --help.
COMMAND_MODULES = (
    "toolkit.sample.commands",       # sample
    "toolkit.cloudtrail.commands",   # ingest, export
    "toolkit.integrity.commands",    # verify
    "toolkit.engines.commands",      # build, query
    "toolkit.lake.commands",         # lake maintain|migrate|snapshots
    "toolkit.cloudwatch.commands",   # metrics, alarms
    "toolkit.detections.commands",   # rules, detect
    "toolkit.forensics.commands",    # investigate
    "toolkit.reports.commands",      # report
    "toolkit.demo.commands",         # demo
    "toolkit.jupyter.commands",      # kernel
)
# Accepted anywhere on the command line, before or after the verb.
GLOBAL_FLAGS = {"-v": "verbose", "--verbose": "verbose", "--json-logs": "json_logs"}
# Exceptions (by class name, anywhere in the cause chain) that mean "cannot reach the endpoint".
UNREACHABLE = {"EndpointConnectionError", "ConnectTimeoutError", "ConnectTimeout",
               "ClientConnectorError", "NewConnectionError", "ServerDisconnectedError"}
NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError"}


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (``trailwatch VERB: error: ...``) and exit code 2."""

    def error(self, message: str):
        self.exit(errors.EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="trailwatch",
        description="AWS CloudTrail and CloudWatch analytics: lake, detections, forensics, reports.",
        epilog="Exit codes: 0 ok, 1 unexpected failure, 2 bad input or location, 3 no data for "
               "the answer (--allow-empty) or scan refused (--allow-scan), 4 concurrent write "
               "conflict, 5 integrity failure.")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="trailwatch's debug logs and tracebacks on stderr (any position)")
    parser.add_argument("--json-logs", action="store_true",
                        help="log records as JSON lines on stderr (any position)")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for verb in subparsers.choices.values():  # the global flags work after the verb too
        verb.epilog = "-v (debug logs, tracebacks) and --json-logs work before or after the verb."
    return parser


def split_global_flags(argv: list[str]) -> tuple[list[str], dict[str, bool]]:
    """Take ``-v``/``--json-logs`` out of ``argv`` wherever they are (up to a ``--``)."""
    rest, flags = [], {"verbose": False, "json_logs": False}
    for i, token in enumerate(argv):
        if token == "--":
            rest += argv[i:]
            break
        if token in GLOBAL_FLAGS:
            flags[GLOBAL_FLAGS[token]] = True
        else:
            rest.append(token)
    return rest, flags


def main(argv: list[str] | None = None) -> int:
    from toolkit import cli_args, logsetup

    argv, flags = split_global_flags(list(sys.argv[1:] if argv is None else argv))
    logsetup.configure(**flags)
    stdout = _QuietPipe.install()
    verb = argv[0] if argv and not argv[0].startswith("-") else ""
    try:
        args = build_parser().parse_args(argv)
        verb = " ".join(v for v in (args.verb, *_sub_verbs(args)) if v)
        cli_args.validate(args)
        code = int(args.func(args) or 0)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
        code = exc.code if isinstance(exc.code, int) else errors.EXIT_USAGE
    except BaseException as exc:  # noqa: BLE001 - the one place every failure becomes one line
        code = report_failure(exc, verb, flags["verbose"])
    finally:
        stdout.restore()
    return code


def _sub_verbs(args: argparse.Namespace) -> list[str]:
    return [getattr(args, k) for k in ("metrics_verb", "alarms_verb", "rules_verb")
            if getattr(args, k, None)]


def report_failure(exc: BaseException, verb: str, verbose: bool) -> int:
    """Print ``exc`` as one line (plus the traceback with ``-v``); return its exit code."""
    from toolkit.logsetup import redact

    code, message, hint = classify(exc)
    if verbose and code != errors.EXIT_OK:
        log.error("traceback of the failure below", exc_info=exc)
    if message:
        prefix = f"trailwatch {verb}: error: ".replace("  ", " ")
        lines = redact(message).splitlines() or [""]
        print(prefix + lines[0] + (f" ({hint})" if hint and not verbose else ""), file=sys.stderr)
        for line in lines[1:]:
            print("  " + line, file=sys.stderr)
    return code


def classify(exc: BaseException) -> tuple[int, str, str]:
    """(exit code, message, hint) for an exception reaching the command line."""
    from toolkit.engines.base import ScanLimitExceeded

    if isinstance(exc, errors.TrailwatchError):
        return exc.exit_code, str(exc), ""
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted", ""
    if isinstance(exc, BrokenPipeError):  # stdout closed by the reader (`| head`): quietly
        return errors.EXIT_OK, "", ""
    if isinstance(exc, ScanLimitExceeded):
        return errors.EXIT_EMPTY, f"refused: {exc}", ""
    chain = _chain(exc)
    unreachable = next((e for e in chain if type(e).__name__ in UNREACHABLE), None)
    if unreachable is not None:
        return errors.EXIT_USAGE, (f"cannot reach the endpoint: {unreachable}; check "
                                   "AWS_ENDPOINT_URL / --endpoint-url and the network"), ""
    if any(type(e).__name__ in NO_CREDENTIALS for e in chain):
        return errors.EXIT_USAGE, ("no AWS credentials found: set AWS_PROFILE or "
                                   "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or use an instance role)"), ""
    if isinstance(exc, OSError) and exc.errno in (13, 30):  # EACCES, EROFS
        where = exc.filename or "the target"
        return errors.EXIT_USAGE, f"cannot write {where}: {exc.strerror}; choose a writable location", ""
    if isinstance(exc, (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
                        FileExistsError)):
        return errors.EXIT_USAGE, str(exc), ""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return errors.EXIT_FAILURE, f"unexpected {text}", "rerun with -v for the traceback"


def _chain(exc: BaseException) -> list[BaseException]:
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


class _QuietPipe:
    """Wraps stdout so a reader that stops early (``| head``) ends output quietly.

    The verb still finishes its work (an ingest is never cut short by its reader) and exits with
    its own code; further output is dropped.
    """

    def __init__(self, stream):
        self.stream, self.closed_by_reader = stream, False

    @classmethod
    def install(cls) -> _QuietPipe:
        wrapper = cls(sys.stdout)
        sys.stdout = wrapper
        return wrapper

    def restore(self) -> None:
        if sys.stdout is self:
            sys.stdout = self.stream
        try:
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.closed_by_reader = True
        if self.closed_by_reader:  # keep the interpreter's final flush from complaining
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self.stream.fileno())
            except (OSError, ValueError, AttributeError):
                pass

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self.closed_by_reader = True
            return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.closed_by_reader = True

    def __getattr__(self, name):
        return getattr(self.stream, name)


if __name__ == "__main__":
    sys.exit(main())
