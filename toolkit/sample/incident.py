"""The seeded incident: a leaked IAM user access key abused from a new IP, step by step.

Returns the records (merged into the trail by time) and the ground truth: eventIDs per step
with MITRE ATT&CK technique ids. Nothing here appears in the benign background.
"""

from __future__ import annotations

from toolkit.sample import ids
from toolkit.sample.ops import s3_data_event
from toolkit.sample.records import RecordFactory, access_denied, service_host
from toolkit.sample.world import Account

ATTACKER_IP = "185.220.101.47"
ATTACKER_ACCOUNT = "730335317826"
ATTACKER_UA = ("aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 "
               "prompt/off command/{cmd}")
VICTIM_USER = "ci-deployer"
NEW_USER = "support-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
TRAIL_TAMPERED = "audit-eu"  # a regional trail; the sample's delivering trail keeps logging


class Incident:
    """Builds the incident's records at ``start`` (epoch seconds) in one account."""

    def __init__(self, f: RecordFactory, account: Account, start: int):
        self.f, self.a, self.t = f, account, start
        self.records: list[tuple[int, dict]] = []
        self.steps: list[dict] = []
        user = account.users[VICTIM_USER]
        self.ident = {"type": "IAMUser", "principalId": user.user_id, "arn": user.arn,
                      "accountId": account.account_id, "accessKeyId": user.access_key,
                      "userName": user.name}
        self.new_key = ids.iam_id(f.rng, "AKIA")

    def call(self, source, name, req, resp=None, *, region="us-east-1", read_only=True,
             denied=False, ident=None, cmd="", resources=None, gap=7) -> dict:
        self.t += gap + self.f.rng.randrange(0, gap + 1)
        ident = ident or self.ident
        if source in ("iam.amazonaws.com", "organizations.amazonaws.com"):
            region = "us-east-1"
        rec = self.f.record(
            ident, ids.iso(self.t), source, name, region, ATTACKER_IP, ATTACKER_UA.format(cmd=cmd),
            req, resp, read_only, version="1.08" if source != "ec2.amazonaws.com" else "1.10",
            error=access_denied(source, name, ident["arn"]) if denied else None,
            host=service_host(source, region), resources=resources)
        self.records.append((self.t, rec))
        return rec

    def step(self, step: str, technique: str, tactic: str, records: list[dict], description: str):
        self.steps.append({"step": step, "technique": technique, "tactic": tactic,
                           "description": description,
                           "event_ids": [r["eventID"] for r in records],
                           "first_event_time": records[0]["eventTime"],
                           "last_event_time": records[-1]["eventTime"]})

    def build(self) -> dict:
        a, acct = self.a, self.a.account_id
        iam, ec2, s3 = "iam.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com"
        first = [self.call("sts.amazonaws.com", "GetCallerIdentity", None, cmd="sts.get-caller-identity")]
        self.step("initial-access", "T1078.004", "initial-access", first,
                  "leaked long-term key of ci-deployer first used from a new IP and user agent")
        recon = [self.call(iam, "ListUsers", None, cmd="iam.list-users"),
                 self.call(iam, "ListRoles", None, cmd="iam.list-roles"),
                 self.call(iam, "ListAttachedUserPolicies", {"userName": VICTIM_USER}, cmd="iam.list-attached-user-policies"),
                 self.call(iam, "ListGroupsForUser", {"userName": VICTIM_USER}, cmd="iam.list-groups-for-user"),
                 self.call(iam, "ListAccessKeys", {"userName": "svc-backup"}, cmd="iam.list-access-keys"),
                 self.call(iam, "GetAccountAuthorizationDetails", None, cmd="iam.get-account-authorization-details")]
        self.step("discovery-identities", "T1087.004", "discovery", recon, "enumerates IAM users, roles and policies")
        infra = [self.call(ec2, "DescribeRegions", {"regionSet": {}, "allRegions": False}, cmd="ec2.describe-regions")]
        for region in ("us-east-1", "us-west-2", "eu-west-1"):
            infra.append(self.call(ec2, "DescribeInstances", {"instancesSet": {}, "filterSet": {}},
                                   region=region, cmd="ec2.describe-instances", gap=3))
        infra += [self.call(s3, "ListBuckets", {"Host": "s3.amazonaws.com"}, cmd="s3.ls"),
                  self.call(ec2, "DescribeSnapshots", {"ownersSet": {"items": [{"owner": "self"}]}, "filterSet": {}}, cmd="ec2.describe-snapshots"),
                  self.call("rds.amazonaws.com", "DescribeDBInstances", {}, cmd="rds.describe-db-instances")]
        denied = []
        probes = [("secretsmanager.amazonaws.com", "ListSecrets", "secretsmanager.list-secrets"),
                  ("guardduty.amazonaws.com", "ListDetectors", "guardduty.list-detectors"),
                  ("kms.amazonaws.com", "ListKeys", "kms.list-keys"),
                  ("ssm.amazonaws.com", "DescribeParameters", "ssm.describe-parameters"),
                  ("organizations.amazonaws.com", "DescribeOrganization", "organizations.describe-organization")]
        for region in ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "sa-east-1"):
            for source, name, cmd in probes:
                if source.startswith("organizations") and region != "us-east-1":
                    continue
                denied.append(self.call(source, name, {} if "List" in name else None, region=region,
                                        denied=True, cmd=cmd, gap=2))
            denied.append(self.call(ec2, "DescribeInstances", {"instancesSet": {}, "filterSet": {}},
                                    region=region, denied=region in ("ap-southeast-1", "sa-east-1"),
                                    cmd="ec2.describe-instances", gap=2))
        infra += [r for r in denied if "errorCode" not in r]
        denied = [r for r in denied if "errorCode" in r]
        self.step("discovery-infrastructure", "T1580", "discovery", infra,
                  "enumerates regions, instances, buckets, snapshots and databases")
        self.step("access-denied-burst", "T1526", "discovery", denied,
                  "burst of AccessDenied while probing services and unusual regions")
        escalate = [self.call(iam, "AttachUserPolicy", {"userName": VICTIM_USER, "policyArn": ADMIN_POLICY},
                              read_only=False, cmd="iam.attach-user-policy", gap=60)]
        self.step("privilege-escalation", "T1098.003", "privilege-escalation", escalate,
                  "attaches AdministratorAccess to the compromised user")
        keys = [self.call(iam, "CreateAccessKey", {"userName": "svc-backup"}, {"accessKey": {
            "userName": "svc-backup", "accessKeyId": self.new_key, "status": "Active",
            "createDate": ids.human_time(self.t + 30)}}, read_only=False, cmd="iam.create-access-key", gap=30)]
        self.step("additional-credentials", "T1098.001", "persistence", keys,
                  "creates an access key for another user (svc-backup)")
        backup = a.users["svc-backup"]
        other = {"type": "IAMUser", "principalId": backup.user_id, "arn": backup.arn, "accountId": acct,
                 "accessKeyId": self.new_key, "userName": backup.name}
        trail_arn = f"arn:aws:cloudtrail:eu-west-1:{acct}:trail/{TRAIL_TAMPERED}"
        evade = [self.call("cloudtrail.amazonaws.com", "StopLogging", {"name": trail_arn}, region="eu-west-1",
                           read_only=False, ident=other, cmd="cloudtrail.stop-logging", gap=90),
                 self.call("cloudtrail.amazonaws.com", "PutEventSelectors", {"trailName": trail_arn,
                           "eventSelectors": [{"readWriteType": "WriteOnly", "includeManagementEvents": False,
                                               "dataResources": [], "excludeManagementEventSources": []}]},
                           {"trailARN": trail_arn, "eventSelectors": [{"readWriteType": "WriteOnly",
                            "includeManagementEvents": False, "dataResources": [], "excludeManagementEventSources": []}]},
                           region="eu-west-1", read_only=False, ident=other, cmd="cloudtrail.put-event-selectors")]
        self.step("defense-evasion", "T1562.008", "defense-evasion", evade,
                  "stops a trail and strips its event selectors, using the newly created key")
        new_arn = f"arn:aws:iam::{acct}:user/{NEW_USER}"
        new_id = ids.iam_id(self.f.rng, "AIDA")
        persist = [self.call(iam, "CreateUser", {"userName": NEW_USER}, {"user": {
                       "path": "/", "userName": NEW_USER, "userId": new_id, "arn": new_arn,
                       "createDate": ids.human_time(self.t + 60)}}, read_only=False, cmd="iam.create-user", gap=60),
                   self.call(iam, "CreateLoginProfile", {"userName": NEW_USER, "passwordResetRequired": False},
                             {"loginProfile": {"userName": NEW_USER, "createDate": ids.human_time(self.t + 70),
                                               "passwordResetRequired": False}},
                             read_only=False, cmd="iam.create-login-profile"),
                   self.call(iam, "AttachUserPolicy", {"userName": NEW_USER, "policyArn": ADMIN_POLICY},
                             read_only=False, cmd="iam.attach-user-policy")]
        self.step("persistence", "T1136.003", "persistence", persist,
                  "creates a backdoor IAM user with console password and AdministratorAccess")
        bucket = a.buckets["customer-data"]
        self.t += 300
        listing = s3_data_event(self.f, "ListObjects", bucket, self.ident, ids.iso(self.t), "us-east-1",
                                ATTACKER_IP, ATTACKER_UA.format(cmd="s3.ls"))
        self.records.append((self.t, listing))
        exfil = [listing]
        for n in range(160):
            self.t += self.f.rng.randrange(1, 4)
            rec = s3_data_event(self.f, "GetObject", bucket, self.ident, ids.iso(self.t), "us-east-1",
                                ATTACKER_IP, ATTACKER_UA.format(cmd="s3.cp"),
                                key=f"customers/export-{n:05d}.json.gz")
            self.records.append((self.t, rec))
            exfil.append(rec)
        self.step("collection-s3", "T1530", "collection", exfil,
                  "bulk GetObject of the customer-data bucket (S3 data events)")
        victim = next(i for i in a.instances if i.purpose == "batch")
        snap = ids.hex_id(self.f.rng, "snap-")
        share = [self.call(ec2, "CreateSnapshot", {"volumeId": victim.volume_id, "description": "backup"},
                           {"snapshotId": snap, "volumeId": victim.volume_id, "status": "pending",
                            "ownerId": acct}, read_only=False, cmd="ec2.create-snapshot", gap=240),
                 self.call(ec2, "ModifySnapshotAttribute", {"snapshotId": snap, "createVolumePermission": {
                     "add": {"items": [{"userId": ATTACKER_ACCOUNT}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"},
                     {"_return": True}, read_only=False, cmd="ec2.modify-snapshot-attribute", gap=200)]
        self.step("exfiltration-snapshot", "T1537", "exfiltration", share,
                  f"snapshot of {victim.volume_id} shared with external account {ATTACKER_ACCOUNT}")
        return {
            "account_id": acct, "access_key_id": self.ident["accessKeyId"], "user_name": VICTIM_USER,
            "user_arn": self.ident["arn"], "attacker_ip": ATTACKER_IP,
            "attacker_user_agent_prefix": ATTACKER_UA.split(" command/")[0],
            "attacker_account": ATTACKER_ACCOUNT, "additional_access_key_ids": [self.new_key],
            "created_user": NEW_USER, "exfiltrated_bucket": bucket, "shared_snapshot_id": snap,
            "tampered_trail_arn": trail_arn,
            "start_time": self.steps[0]["first_event_time"], "end_time": self.steps[-1]["last_event_time"],
            "steps": self.steps,
        }

