"""Logging for the CLI: trailwatch's own records only, secrets masked, text or JSON lines.

``-v`` turns on DEBUG for the ``toolkit`` loggers alone. Libraries that log requests on the wire
(botocore prints signed headers with the access key id and ``X-Amz-Security-Token`` at DEBUG)
stay at WARNING whatever the flags say. As a second guard, every record passes a filter that
masks the values of secret environment variables and ``user:password@`` in URLs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys

# Libraries that log wire traffic or credentials at DEBUG/INFO; never louder than WARNING.
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3fs", "aiobotocore", "aiohttp", "fsspec",
                   "pyathena", "airflow", "asyncio", "papermill", "nbconvert", "traitlets",
                   "moto", "werkzeug", "pyiceberg", "sqlalchemy", "httpx", "httpcore")
SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|AIRFLOW_CONN_)", re.I)
URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/:@\s]*):(?P<pw>[^@/\s]+)@", re.I)
MASK = "***"
PROGRESS_LOGGER = "toolkit.progress"


def secret_values(env: dict[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names say they hold a secret (longest first)."""
    env = os.environ if env is None else env
    values = {v for k, v in env.items()
              if SECRET_ENV.search(k) and not k.upper().endswith(("_FILE", "_PATH", "_DIR"))}
    for value in list(values):  # an Airflow connection URL: its decoded password too
        for match in URL_PASSWORD.finditer(value):
            from urllib.parse import unquote

            values.update({match["pw"], unquote(match["pw"])})
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with secret values and URL passwords replaced by ``***``."""
    for value in secret_values() if secrets is None else secrets:
        text = text.replace(value, MASK)
    return URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


class Redacting(logging.Formatter):
    """Formats a record (text or one JSON object per line), then masks secrets in the result."""

    def __init__(self, json_lines: bool):
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.json_lines = json_lines
        self.secrets = secret_values()

    def format(self, record: logging.LogRecord) -> str:
        if self.json_lines:
            entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                     "logger": record.name, "message": record.getMessage()}
            if record.exc_info:
                entry["traceback"] = self.formatException(record.exc_info)
            text = json.dumps(entry)
        else:
            text = super().format(record)
        return redact(text, self.secrets)


def configure(verbose: bool = False, json_logs: bool = False) -> None:
    """Route logs to stderr: WARNING for all, DEBUG for ``toolkit`` with ``-v``, INFO progress."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Redacting(json_logs))
    handler.trailwatch = True  # replaced by the next configure(); other handlers are left alone
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "trailwatch", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("toolkit").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger(PROGRESS_LOGGER).setLevel(logging.INFO)  # progress lines off a terminal
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
