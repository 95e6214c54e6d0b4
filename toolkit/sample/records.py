"""Build CloudTrail records in AWS's field order, with AWS's error codes and messages."""

from __future__ import annotations

import random

from toolkit.sample import ids
from toolkit.sample.world import Account

# Field order follows real deliveries (see tests/fixtures/cloudtrail).
GLOBAL_SOURCES = frozenset({"iam.amazonaws.com", "organizations.amazonaws.com",
                            "route53.amazonaws.com", "signin.amazonaws.com"})
TLS_CIPHERS = (("TLSv1.3", "TLS_AES_128_GCM_SHA256"), ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
               ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))


class RecordFactory:
    """Makes records for one account; holds its own seeded RNG and cached sub-objects."""

    def __init__(self, account: Account, rng: random.Random):
        self.account = account
        self.acct = account.account_id
        self.rng = rng
        self._tls: dict[tuple[str, int], dict] = {}
        self._hosts: dict[tuple[str, str], str] = {}
        self.cache: dict = {}          # per-account lookups the operations reuse
        self.current_instance = None  # set while an instance role makes calls

    def host(self, source: str, region: str) -> str:
        """``service_host``, cached."""
        found = self._hosts.get((source, region))
        if found is None:
            found = self._hosts[(source, region)] = service_host(source, region)
        return found

    def tls(self, host: str) -> dict:
        variant = self.rng.getrandbits(2) % 3
        key = (host, variant)
        found = self._tls.get(key)
        if found is None:
            version, cipher = TLS_CIPHERS[variant]
            found = self._tls[key] = {"tlsVersion": version, "cipherSuite": cipher,
                                      "clientProvidedHostHeader": host}
        return found

    def record(self, ident: dict, t: str, source: str, name: str, region: str, ip: str, ua: str,
               req, resp, read_only: bool, *, version: str = "1.08", resources=None, extra=None,
               error: tuple[str, str] | None = None, data: bool = False, host: str | None = None,
               console: bool = False, shared: bool = False, vpce: bool = False,
               event_type: str = "AwsApiCall", request_id: str | None = None) -> dict:
        """One CloudTrail record; ``data`` marks S3/Lambda data events."""
        rng = self.rng
        r = {"eventVersion": version, "userIdentity": ident, "eventTime": t,
             "eventSource": source, "eventName": name, "awsRegion": region,
             "sourceIPAddress": ip, "userAgent": ua}
        if error is not None:
            r["errorCode"], r["errorMessage"] = error
        r["requestParameters"] = req
        # Failed calls carry no response, except sign-in, which reports {"ConsoleLogin": "Failure"}.
        r["responseElements"] = resp if error is None or event_type == "AwsConsoleSignIn" else None
        if extra is not None:
            r["additionalEventData"] = extra
        r["requestID"] = request_id or ids.uuid4(rng)
        r["eventID"] = ids.uuid4(rng)
        r["readOnly"] = read_only
        if resources is not None:
            r["resources"] = resources
        r["eventType"] = event_type
        r["managementEvent"] = not data
        r["recipientAccountId"] = self.acct
        if shared:
            r["sharedEventID"] = ids.uuid4(rng)
        if vpce:
            r["vpcEndpointId"] = self.account.vpc_endpoint
            r["vpcEndpointAccountId"] = self.acct
        r["eventCategory"] = "Data" if data else "Management"
        if host is not None:
            r["tlsDetails"] = self.tls(host)
        if console:
            r["sessionCredentialFromConsole"] = "true"
        return r


def service_host(source: str, region: str) -> str:
    """The endpoint host a client would send (tlsDetails.clientProvidedHostHeader)."""
    service = source.split(".", 1)[0]
    if source in GLOBAL_SOURCES:
        return f"{service}.amazonaws.com"
    if service == "monitoring":
        return f"monitoring.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


def access_denied(source: str, name: str, arn: str, resource: str = "*") -> tuple[str, str]:
    """AWS's error code and message for an authorization failure on this service."""
    service = source.split(".", 1)[0]
    action = f"{service}:{name}"
    if service == "ec2":
        return ("Client.UnauthorizedOperation",
                "You are not authorized to perform this operation. User: "
                f"{arn} is not authorized to perform: {action} because no identity-based "
                "policy allows the " + action + " action")
    code = "AccessDenied" if service in ("iam", "s3", "sts", "cloudtrail") else "AccessDeniedException"
    return (code, f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
                  f"because no identity-based policy allows the {action} action")


def throttled(source: str) -> tuple[str, str]:
    service = source.split(".", 1)[0]
    if service == "ec2":
        return ("Client.RequestLimitExceeded", "Request limit exceeded.")
    if service == "s3":
        return ("SlowDown", "Please reduce your request rate.")
    return ("ThrottlingException", "Rate exceeded")
