"""Shared fixtures: real public samples, moto's server over HTTP, isolated AWS credentials.

Area-specific fixtures live in each test folder's own conftest.py.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _fake_aws_credentials():
    """Tests never see real credentials: fake keys, a fixed region, no AWS profile."""
    saved = {k: os.environ.get(k) for k in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1")
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(k, None)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def real_cloudtrail_dir() -> Path:
    """Real public CloudTrail deliveries (account and organization layouts)."""
    return FIXTURES / "cloudtrail"


@pytest.fixture(scope="session")
def moto_server():
    """moto's server on 127.0.0.1 as a real process; yields its endpoint URL, stopped by PID."""
    from toolkit.demo.services import MotoServer

    with MotoServer() as server:
        yield server.url


@pytest.fixture
def moto_reset(moto_server):
    """Reset moto's state before a test that needs a clean account."""
    request = urllib.request.Request(moto_server + "/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5)
    return moto_server
