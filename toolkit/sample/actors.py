"""Who calls AWS: users with long-term keys, role sessions (STS), AWS services, the console.

A session actor creates its temporary credentials when it first needs them: the STS call
(AssumeRole, AssumeRoleWithSAML) or ConsoleLogin lands in the trail just before the first
call that uses the new ASIA key, so every ASIA key in the trail has an issuing event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.sample import ids
from toolkit.sample.records import RecordFactory
from toolkit.sample.world import GLOBAL_REGION, Role, User

STS = "sts.amazonaws.com"


@dataclass
class Actor:
    """A principal with its habits: regions, IPs, user agents, operations, error rate."""

    name: str
    weight: float                      # share of the account's events
    human: bool                        # follows office hours
    regions: tuple[str, ...]
    ips: tuple[str, ...]
    uas: tuple[str, ...]
    ops: tuple[str, ...]               # operation names (toolkit.sample.ops)
    op_weights: tuple[float, ...]
    error_rate: float = 0.01
    console_share: float = 0.0         # share of calls made from the console

    def identity(self, f: RecordFactory, t: int, region: str, console: bool, out: list) -> dict:
        raise NotImplementedError

    def arn(self) -> str:
        raise NotImplementedError


@dataclass
class UserActor(Actor):
    """An IAM user: CLI/SDK with its AKIA key; console sessions after a ConsoleLogin."""

    user: User | None = None
    mfa: bool = True
    _ident: dict | None = None
    _console: tuple[int, dict] | None = None  # (expiry, identity)

    def arn(self) -> str:
        return self.user.arn

    def identity(self, f, t, region, console, out):
        if not console:
            if self._ident is None:
                u = self.user
                self._ident = {"type": "IAMUser", "principalId": u.user_id, "arn": u.arn,
                               "accountId": u.account_id, "accessKeyId": u.access_key,
                               "userName": u.name}
            return self._ident
        if self._console is None or t >= self._console[0]:
            self._console = (t + 8 * 3600, self._login(f, t, out))
        return self._console[1]

    def _login(self, f: RecordFactory, t: int, out: list) -> dict:
        u, rng = self.user, f.rng
        ip, ua = self.ips[0], self.uas[0]
        base = {"type": "IAMUser", "principalId": u.user_id, "arn": u.arn,
                "accountId": u.account_id, "userName": u.name}
        if rng.random() < 0.15:  # a mistyped password now and then
            out.append(console_login(f, base, t - 45, ip, ua, self.mfa, ok=False))
        out.append(console_login(f, base, t - 20, ip, ua, self.mfa, ok=True))
        return dict(base, accessKeyId=ids.iam_id(rng, "ASIA"), sessionContext={
            "attributes": {"creationDate": ids.iso(t - 20), "mfaAuthenticated": str(self.mfa).lower()}})


def console_login(f: RecordFactory, base: dict, t: int, ip: str, ua: str, mfa: bool, ok: bool) -> dict:
    """A signin.amazonaws.com ConsoleLogin record (success or failed authentication)."""
    extra = {"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
             "MobileVersion": "No", "MFAUsed": "Yes" if mfa and ok else "No"}
    if mfa and ok:
        extra["MFAIdentifier"] = f"arn:aws:iam::{base['accountId']}:mfa/{base.get('userName', 'root')}"
    return f.record(
        base, ids.iso(t), "signin.amazonaws.com", "ConsoleLogin", GLOBAL_REGION, ip, ua, None,
        {"ConsoleLogin": "Success" if ok else "Failure"}, False, version="1.09", extra=extra,
        error=None if ok else ("Failed authentication", "Failed authentication"),
        event_type="AwsConsoleSignIn", host="signin.aws.amazon.com")


@dataclass
class SessionActor(Actor):
    """A role used through STS sessions; ``issuer`` says who creates them.

    issuer: ("service", "ec2.amazonaws.com") | ("saml", email) | ("user", UserActor) |
            ("role", SessionActor) for role chaining | ("account", account id) cross-account.
    """

    role: Role | None = None
    issuer: tuple = ()
    session_name: str = ""
    duration: int = 3600
    source_identity: str | None = None
    ec2: bool = False
    _session: tuple[int, dict] | None = None
    issued_keys: list = field(default_factory=list)

    def arn(self) -> str:
        return self.role.arn

    def session_arn(self) -> str:
        return f"arn:aws:sts::{self.role.account_id}:assumed-role/{self.role.name}/{self.session_name}"

    def identity(self, f, t, region, console, out):
        if self._session is None or t >= self._session[0]:
            self._session = (t + self.duration - 300, self._assume(f, t, region, out))
        return self._session[1]

    def _assume(self, f: RecordFactory, t: int, region: str, out: list) -> dict:
        rng, role = f.rng, self.role
        key = ids.iam_id(rng, "ASIA")
        created = t - 1 - rng.randrange(0, 20)
        kind, who = self.issuer
        sts_region = region if kind in ("service", "role") else GLOBAL_REGION
        req = {"roleArn": role.arn, "roleSessionName": self.session_name}
        if kind == "saml":
            req = {"roleArn": role.arn, "principalArn":
                   f"arn:aws:iam::{role.account_id}:saml-provider/AWSSSO_{role.role_id[-16:].lower()}_DO_NOT_DELETE",
                   "durationSeconds": self.duration}
        elif kind != "service":
            req["durationSeconds"] = self.duration
        if self.source_identity:
            req["sourceIdentity"] = self.source_identity
        resp = {"credentials": {"accessKeyId": key, "sessionToken": "",
                                "expiration": ids.human_time(created + self.duration)},
                "assumedRoleUser": {"assumedRoleId": f"{role.role_id}:{self.session_name}",
                                    "arn": self.session_arn()}}
        if self.source_identity:
            resp["sourceIdentity"] = self.source_identity
        if kind == "saml":
            resp.update({"subject": who, "subjectType": "persistent",
                         "issuer": "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/MDk4NzY1NDMyMTAx",
                         "audience": "https://signin.aws.amazon.com/saml",
                         "nameQualifier": "Yk3p1wZ2J0XQ8Rr0mC9y9yS1h4A="})
        caller, ip, ua, name = self._caller(f, created, region, out)
        out.append(f.record(
            caller, ids.iso(created), STS, name, sts_region, ip, ua, req, resp, True,
            version="1.08", resources=[{"accountId": role.account_id, "type": "AWS::IAM::Role",
                                        "ARN": role.arn}],
            shared=kind in ("service", "account"),
            host=None if kind == "service" else f"sts.{sts_region}.amazonaws.com"))
        self.issued_keys.append(key)
        attrs = {"creationDate": ids.iso(created), "mfaAuthenticated": "false"}
        ctx = {"sessionIssuer": {"type": "Role", "principalId": role.role_id, "arn": role.arn,
                                 "accountId": role.account_id, "userName": role.name},
               "attributes": attrs}
        if self.ec2:
            ctx["ec2RoleDelivery"] = "2.0"
        if self.source_identity:
            ctx["sourceIdentity"] = self.source_identity
        return {"type": "AssumedRole", "principalId": f"{role.role_id}:{self.session_name}",
                "arn": self.session_arn(), "accountId": role.account_id, "accessKeyId": key,
                "sessionContext": ctx}

    def _caller(self, f, t, region, out):
        """(identity, ip, user agent, event name) of the STS call that creates a session."""
        kind, who = self.issuer
        if kind == "service":
            return {"type": "AWSService", "invokedBy": who}, who, who, "AssumeRole"
        if kind == "saml":
            return ({"type": "SAMLUser", "principalId": f"Yk3p1wZ2J0XQ8Rr0mC9y9yS1h4A=:{who}",
                     "userName": who, "identityProvider": "Yk3p1wZ2J0XQ8Rr0mC9y9yS1h4A="},
                    self.ips[0], self.uas[0], "AssumeRoleWithSAML")
        if kind == "account":
            return ({"type": "AWSAccount", "principalId": f"AROA{'Q' * 17}:security-scanner",
                     "accountId": who}, self.ips[0], UA_SCANNER, "AssumeRole")
        parent = who
        ident = parent.identity(f, t, region, False, out)
        return ident, parent.ips[0], parent.uas[0], "AssumeRole"


UA_SCANNER = ("Boto3/1.36.20 md/Botocore#1.36.20 ua/2.0 os/linux#5.10.234 md/arch#x86_64 lang/python#3.11.11 "
              "md/pyimpl#CPython cfg/retry-mode#adaptive Botocore/1.36.20 prowler/5.4.0")


@dataclass
class ServiceActor(Actor):
    """An AWS service calling on the account's behalf (``invokedBy``), optionally via a
    service-linked role session (as AWS Config does)."""

    service: str = ""
    linked_role: Role | None = None
    _ident: dict | None = None

    def arn(self) -> str:
        return self.service

    def identity(self, f, t, region, console, out):
        if self._ident is None:
            if self.linked_role is None:
                self._ident = {"type": "AWSService", "invokedBy": self.service}
            else:
                role = self.linked_role
                session = self.service.split(".")[0].capitalize() + "Session"
                self._ident = {
                    "type": "AssumedRole", "principalId": f"{role.role_id}:{session}",
                    "arn": f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session}",
                    "accountId": role.account_id, "accessKeyId": ids.iam_id(f.rng, "ASIA"),
                    "sessionContext": {
                        "sessionIssuer": {"type": "Role", "principalId": role.role_id, "arn": role.arn,
                                          "accountId": role.account_id, "userName": role.name},
                        "attributes": {"creationDate": ids.iso(t - 600), "mfaAuthenticated": "false"}},
                    "invokedBy": self.service}
        return self._ident
