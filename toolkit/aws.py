"""The one AWS session factory: every boto3 client, s3fs, pyiceberg and pyathena start here.

Where credentials come from, in order:

1. A session put in place with ``use_session`` -- an Airflow task does this with the session
   of the amazon provider's ``AwsBaseHook`` (``aws_conn_id``: keys, role assumption, profile,
   region and ``endpoint_url`` from the connection); see ``toolkit.orchestration``.
2. Otherwise boto3's default chain (environment, ``AWS_PROFILE``, SSO, instance/task role),
   read when asked (so a changed environment is seen).

Libraries that cannot take a boto3 session (s3fs, pyiceberg, pyathena) get the active
session's current credentials as explicit options, so they all act as the same identity; with
no active session they are given none and resolve the same default chain themselves.
Credentials are never logged or written to ``os.environ``.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class _Active:
    session: Any  # boto3.Session
    region: str | None = None
    endpoint_url: str | None = None


_lock = threading.Lock()
_active: _Active | None = None


def use_session(session: boto3.Session, *, region: str | None = None,
                endpoint_url: str | None = None) -> None:
    """Make ``session`` (and its region/endpoint) what every AWS user in this process gets."""
    global _active
    with _lock:
        _active = _Active(session, region or session.region_name, endpoint_url)


def reset() -> None:
    """Back to boto3's default chain (tests; a task process ends anyway)."""
    global _active
    with _lock:
        _active = None


@contextmanager
def session_in_use(session: boto3.Session, **where):
    """``use_session`` for the duration of a ``with`` block."""
    global _active
    previous = _active
    use_session(session, **where)
    try:
        yield
    finally:
        with _lock:
            _active = previous


def session() -> boto3.Session:
    """The session in use: the one given to ``use_session``, else boto3's default chain."""
    if _active is not None:
        return _active.session
    import boto3

    return boto3.Session()


def region(explicit: str | None = None) -> str | None:
    """``explicit``, else the active connection's region, else the environment's."""
    return (explicit or (_active.region if _active else None) or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or None)


def endpoint_url(explicit: str | None = None) -> str | None:
    """``explicit``, else the connection's ``endpoint_url``, else ``AWS_ENDPOINT_URL``."""
    return (explicit or (_active.endpoint_url if _active else None)
            or os.environ.get("AWS_ENDPOINT_URL") or None)


def client(service: str, *, region_name: str | None = None, endpoint: str | None = None,
           config: Any = None, **kwargs):
    """A boto3 client of the session in use, with its region and endpoint."""
    return session().client(service, region_name=region(region_name),
                            endpoint_url=endpoint_url(endpoint), config=config, **kwargs)


def _credentials() -> Any:
    """Frozen (refreshed if due) credentials of the active session; None: the default chain."""
    if _active is None:
        return None
    creds = _active.session.get_credentials()
    return creds.get_frozen_credentials() if creds is not None else None


def s3fs_options(endpoint: str | None = None) -> dict:
    """Keyword arguments for ``s3fs.S3FileSystem`` acting as the session in use.

    Frozen credentials: a role session's token lasts its duration (1 h by default); a task
    that runs longer should use a connection with a longer ``DurationSeconds``.
    """
    options: dict[str, Any] = {}
    creds = _credentials()
    if creds is not None:
        options.update(key=creds.access_key, secret=creds.secret_key)
        if creds.token:
            options["token"] = creds.token
    client_kwargs = {"region_name": region()} if region() else {}
    if endpoint_url(endpoint):
        client_kwargs["endpoint_url"] = endpoint_url(endpoint)
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options


def pyiceberg_properties(endpoint: str | None = None) -> dict[str, str]:
    """FileIO/Glue properties for a pyiceberg catalog acting as the session in use."""
    props = {"s3.region": region() or "", "client.region": region() or ""}
    creds = _credentials()
    if creds is not None:
        props.update({"s3.access-key-id": creds.access_key, "s3.secret-access-key": creds.secret_key,
                      "client.access-key-id": creds.access_key,
                      "client.secret-access-key": creds.secret_key})
        if creds.token:
            props.update({"s3.session-token": creds.token, "client.session-token": creds.token})
    if endpoint_url(endpoint):
        props["s3.endpoint"] = endpoint_url(endpoint)
    return {k: v for k, v in props.items() if v}


def pyathena_options(endpoint: str | None = None) -> dict:
    """Keyword arguments for ``pyathena.connect`` acting as the session in use."""
    options: dict[str, Any] = {"region_name": region()}
    creds = _credentials()
    if creds is not None:
        options.update(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key)
        if creds.token:
            options["aws_session_token"] = creds.token
    if endpoint_url(endpoint):
        options["endpoint_url"] = endpoint_url(endpoint)
    return options
