"""The sample's AWS accounts: principals, resources, networks — everything events refer to.

Built once from the seed; the trail, the CloudWatch metrics and the truth file all read it, so
instance ids, buckets, keys and roles agree everywhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from toolkit.sample import ids

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
RARE_REGION = "eu-central-1"  # a trickle of activity, as real accounts have
GLOBAL_REGION = "us-east-1"   # IAM, STS global endpoint, sign-in, Organizations, Route 53

OFFICE_IPS = ("81.94.200.17", "81.94.200.18", "73.162.55.18", "86.12.44.201")
CI_IPS = ("20.42.73.29", "20.57.81.140", "52.175.19.201")
VENDOR_IPS = ("52.23.176.12", "54.204.133.9")      # monitoring SaaS polling the account
ONPREM_IPS = ("195.78.112.66",)
NAT_IPS = {"us-east-1": ("3.214.87.10", "54.161.20.33", "98.80.15.110"),
           "us-west-2": ("44.236.10.91", "52.35.201.7"),
           "eu-west-1": ("34.246.51.12", "52.49.198.3"),
           "eu-central-1": ("3.120.44.8",)}

UA_CONSOLE = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0",
)
UA_CLI = (
    "aws-cli/2.24.10 md/awscrt#0.23.8 ua/2.1 os/macos#24.3.0 md/arch#arm64 lang/python#3.12.9 md/pyimpl#CPython m/E,N,b cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}",
    "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1021-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}",
)
UA_TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.10.5 (+https://www.terraform.io) terraform-provider-aws/5.87.0 "
                "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.36.1 ua/2.1 os/linux "
                "lang/go#1.23.6 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.200.0 m/E,n")
UA_BOTO3 = ("Boto3/1.36.26 md/Botocore#1.36.26 ua/2.0 os/linux#6.1.127-135.201.amzn2023.x86_64 md/arch#x86_64 "
            "lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.26")
UA_LAMBDA = ("Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.233-244.923.amzn2.x86_64 md/arch#x86_64 "
             "lang/python#3.12.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36")
UA_JAVA = ("aws-sdk-java/2.30.21 md/io#sync md/http#Apache ua/2.1 os/Linux#6.1.128-136.201.amzn2023.x86_64 "
           "lang/java#21.0.6 md/OpenJDK_64-Bit_Server_VM#21.0.6+7-LTS md/vendor#Amazon.com_Inc. md/en_US m/F,N")
UA_SSM = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/"
UA_VENDOR = "aws-sdk-go/1.55.6 (go1.23.4; linux; amd64) datadog-agent-integrations"
UA_S3_CONSOLE = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.780 Linux/5.10.233 OpenJDK_64-Bit_Server_VM/25.432-b08 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]"

INSTANCE_PLANS = {  # region -> (purpose, instance type) per instance
    "us-east-1": [("web", "m5.large"), ("web", "m5.large"), ("api", "c6i.xlarge"),
                  ("batch", "r6i.2xlarge"), ("idle", "m5.2xlarge"), ("idle", "c5.4xlarge"),
                  ("bastion", "t3.micro")],
    "us-west-2": [("web", "m6i.large"), ("worker", "c6i.large"), ("idle", "r5.xlarge")],
    "eu-west-1": [("web", "m5.large"), ("worker", "m6i.xlarge")],
}


@dataclass
class Instance:
    instance_id: str
    instance_type: str
    region: str
    purpose: str
    sg_id: str
    volume_id: str
    subnet_id: str
    private_ip: str
    image_id: str
    launch_day: int | None = None  # index of the day it is launched by RunInstances, or None


@dataclass
class Role:
    name: str
    role_id: str
    account_id: str
    path: str = "/"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role{self.path}{self.name}"


@dataclass
class User:
    name: str
    user_id: str
    access_key: str
    account_id: str
    kind: str  # "human" | "service"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user/{self.name}"


@dataclass
class Account:
    account_id: str
    name: str
    org_id: str | None
    trail_bucket: str
    trail_name: str
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    sso_users: tuple[str, ...] = ()
    instances: list[Instance] = field(default_factory=list)
    buckets: dict[str, str] = field(default_factory=dict)        # purpose -> bucket name
    kms_keys: dict[str, str] = field(default_factory=dict)       # region -> key id
    functions: dict[str, list[str]] = field(default_factory=dict)  # region -> function names
    databases: dict[str, list[str]] = field(default_factory=dict)  # region -> db identifiers
    load_balancers: dict[str, str] = field(default_factory=dict)   # region -> app/name/hex
    vpc_endpoint: str = ""
    secrets: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()

    def instances_in(self, region: str) -> list[Instance]:
        return [i for i in self.instances if i.region == region]


def build_accounts(seed: int, accounts: int, org: bool) -> list[Account]:
    """Deterministic accounts for a seed: same seed, same ids, names and resources."""
    rng = random.Random(f"world:{seed}")
    org_id = "o-" + ids.chars(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 10) if org else None
    names = ["prod", "staging", "dev", "data", "sandbox", "shared"]
    built = []
    for index in range(accounts):
        name = names[index % len(names)] + ("" if index < len(names) else str(index))
        built.append(_build_account(rng, name, org_id))
    return built


def _build_account(rng: random.Random, name: str, org_id: str | None) -> Account:
    acct = ids.account_id(rng)
    company = "acme"
    account = Account(
        account_id=acct, name=name, org_id=org_id,
        trail_bucket=f"aws-cloudtrail-logs-{acct}-{f'{rng.getrandbits(32):08x}'}",
        trail_name="organization-trail" if org_id else "management-events",
    )
    for uname, kind in (("ci-deployer", "service"), ("datadog-integration", "service"),
                        ("legacy-reporting", "service"), ("mwilson", "human"),
                        ("jchen", "human"), ("svc-backup", "service"), ("priya.k", "human")):
        account.users[uname] = User(uname, ids.iam_id(rng, "AIDA"), ids.iam_id(rng, "AKIA"), acct, kind)
    sso = "aws-reserved/sso.amazonaws.com/"
    for rname, path in (
        (f"AWSReservedSSO_AdministratorAccess_{f'{rng.getrandbits(64):016x}'}", f"/{sso}"),
        (f"AWSReservedSSO_ReadOnlyAccess_{f'{rng.getrandbits(64):016x}'}", f"/{sso}"),
        (f"AWSReservedSSO_PowerUserAccess_{f'{rng.getrandbits(64):016x}'}", f"/{sso}"),
        ("web-instance-role", "/"), ("worker-instance-role", "/"), ("batch-instance-role", "/"),
        ("lambda-orders-processor", "/service-role/"), ("lambda-thumbnailer", "/service-role/"),
        ("lambda-report-builder", "/service-role/"), ("deploy-role", "/"),
        ("app-data-reader", "/"), ("SecurityAudit", "/"),
        ("AWSServiceRoleForConfig", "/aws-service-role/config.amazonaws.com/"),
        ("AWSServiceRoleForAutoScaling", "/aws-service-role/autoscaling.amazonaws.com/"),
        ("AWSBackupDefaultServiceRole", "/service-role/"),
    ):
        account.roles[rname.split("_")[1] if rname.startswith("AWSReservedSSO") else rname] = \
            Role(rname, ids.iam_id(rng, "AROA"), acct, path)
    account.sso_users = ("alice@acme-corp.com", "bob@acme-corp.com", "carol@acme-corp.com",
                         "dave@acme-corp.com")
    account.buckets = {
        "customer-data": f"{company}-{name}-customer-data",
        "assets": f"{company}-{name}-static-assets",
        "reports": f"{company}-{name}-reports",
        "backups": f"{company}-{name}-db-backups",
        "artifacts": f"{company}-{name}-build-artifacts",
        "logs": f"{company}-{name}-alb-logs",
    }
    for region, plan in INSTANCE_PLANS.items():
        account.kms_keys[region] = ids.uuid4(rng)
        image = ids.hex_id(rng, "ami-")
        subnet = ids.hex_id(rng, "subnet-")
        for purpose, itype in plan:
            account.instances.append(Instance(
                ids.hex_id(rng, "i-"), itype, region, purpose, ids.hex_id(rng, "sg-"),
                ids.hex_id(rng, "vol-"), subnet,
                f"10.{rng.randrange(0, 4)}.{rng.randrange(0, 64)}.{rng.randrange(4, 250)}", image))
        account.load_balancers[region] = f"app/{name}-{region.split('-')[1]}-alb/{f'{rng.getrandbits(64):016x}'}"
    # Two instances are launched inside the window (RunInstances in the trail); one is under-used.
    east = account.instances_in("us-east-1")
    east[4].launch_day, east[2].launch_day = 0, 1
    account.functions = {"us-east-1": ["orders-processor", "thumbnailer", "report-builder"],
                         "us-west-2": ["orders-processor"], "eu-west-1": ["thumbnailer"]}
    account.databases = {"us-east-1": [f"{name}-orders-db"], "eu-west-1": [f"{name}-eu-orders-db"]}
    account.vpc_endpoint = ids.hex_id(rng, "vpce-")
    account.secrets = (f"{name}/orders-db/credentials", f"{name}/stripe/api-key", f"{name}/sendgrid")
    account.parameters = (f"/{name}/app/feature-flags", f"/{name}/app/db-host", f"/{name}/app/log-level")
    return account
