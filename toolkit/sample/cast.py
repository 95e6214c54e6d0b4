"""Who does what in a sample account: the benign actors and their habits."""

from __future__ import annotations

from toolkit.sample import world as w
from toolkit.sample.actors import ServiceActor, SessionActor, UserActor
from toolkit.sample.world import Account

# Operation mixes (name -> weight). Read-heavy, as real accounts are.
HUMAN_READS = {"DescribeInstances": 8, "DescribeSecurityGroups": 3, "DescribeVolumes": 2,
               "DescribeVpcs": 1, "DescribeSubnets": 1, "ListBuckets": 3, "GetBucketPolicy": 1,
               "ListRoles": 1, "GetRole": 1, "ListUsers": 1, "GetCallerIdentity": 2,
               "ListFunctions20150331": 2, "GetFunction20150331v2": 2, "DescribeLogGroups": 2,
               "FilterLogEvents": 3, "GetMetricData": 3, "DescribeAlarms": 2,
               "DescribeDBInstances": 1, "DescribeLoadBalancers": 1, "DescribeTargetHealth": 1,
               "DescribeEventAggregates": 2, "DescribeStacks": 1, "ListHostedZones": 1,
               "DescribeTable": 1, "GetParameter": 1, "DescribeSecret": 1, "ListAliases": 1,
               "DescribeAutoScalingGroups": 1, "GetObject:reports": 2, "ListObjects:reports": 1}
ADMIN_EXTRA = {"CreateTags": 1, "DescribeTrails": 1, "GetAccountSummary": 1, "ListPolicies": 1,
               "ListDetectors": 1, "DescribeOrganization": 1, "GetTrailStatus": 1}
INSTANCE_OPS = {"UpdateInstanceInformation": 6, "ListInstanceAssociations": 4, "DescribeTags": 2,
                "GetObject:assets": 10, "HeadObject:assets": 3, "PutObject:logs": 4, "Decrypt": 8,
                "GetSecretValue": 2, "GetParameter": 4, "GetAuthorizationToken": 1,
                "CreateLogStream": 1, "GetCallerIdentity": 1}
LAMBDA_OPS = {"GetObject": 6, "PutObject:reports": 4, "Decrypt": 8, "GenerateDataKey": 3,
              "GetParameter": 5, "GetSecretValue": 3, "DescribeTable": 1, "CreateLogStream": 2}
VENDOR_OPS = {"GetMetricData": 12, "ListMetrics": 4, "DescribeInstances": 4, "DescribeTags": 2,
              "DescribeAlarms": 2, "DescribeDBInstances": 1, "DescribeLoadBalancers": 1,
              "ListFunctions20150331": 1, "DescribeInstanceStatus": 2, "DescribeVolumes": 1}
AUDIT_OPS = {"DescribeInstances": 3, "DescribeSecurityGroups": 3, "DescribeVpcs": 2,
             "DescribeSnapshots": 2, "DescribeImages": 1, "ListBuckets": 2, "GetBucketAcl": 2,
             "GetBucketPolicy": 2, "GetBucketEncryption": 2, "ListUsers": 1, "ListRoles": 1,
             "ListAccessKeys": 1, "ListPolicies": 1, "GetAccountSummary": 1, "DescribeTrails": 2,
             "GetTrailStatus": 1, "ListDetectors": 1, "DescribeKey": 1, "ListAliases": 1,
             "DescribeDBInstances": 1, "DescribeConfigRules": 1, "DescribeRegions": 1,
             "DescribeNetworkInterfaces": 1}
CONFIG_OPS = {"DescribeInstances": 3, "DescribeSecurityGroups": 3, "DescribeVolumes": 2,
              "DescribeNetworkInterfaces": 2, "DescribeSubnets": 1, "DescribeVpcs": 1,
              "GetBucketAcl": 2, "GetBucketPolicy": 1, "GetBucketEncryption": 1,
              "DescribeDBInstances": 1, "DescribeLoadBalancers": 1, "GetRole": 1}
DEPLOY_OPS = {"DescribeStacks": 3, "DescribeInstances": 3, "GetFunction20150331v2": 2,
              "UpdateFunctionCode20150331v2": 1, "CreateTags": 1, "GetRole": 1,
              "ListAttachedRolePolicies": 1, "DescribeSecurityGroups": 2, "DescribeImages": 1,
              "GetObject:assets": 1}
ROLE_BY_PURPOSE = {"web": "web-instance-role", "api": "web-instance-role", "bastion": "web-instance-role",
                   "worker": "worker-instance-role", "batch": "batch-instance-role",
                   "idle": "worker-instance-role"}
SECURITY_ACCOUNT = "902417354618"
SCANNER_IPS = ("18.208.4.77",)


def _mix(*mixes: dict) -> tuple[tuple[str, ...], tuple[float, ...]]:
    merged: dict[str, float] = {}
    for m in mixes:
        for k, v in m.items():
            merged[k] = merged.get(k, 0) + v
    return tuple(merged), tuple(merged.values())


def cast(account: Account) -> list:
    """The benign actors of an account (order and values fixed: output depends on them)."""
    regions3 = w.REGIONS
    actors: list = []
    users = account.users
    ci = UserActor("ci-deployer", 0.03, True, ("us-east-1",), w.CI_IPS, (w.UA_TERRAFORM,),
                   *_mix(DEPLOY_OPS), error_rate=0.004, user=users["ci-deployer"])
    actors.append(ci)
    actors.append(UserActor("datadog-integration", 0.08, False, regions3, w.VENDOR_IPS, (w.UA_VENDOR,),
                            *_mix(VENDOR_OPS), error_rate=0.01, user=users["datadog-integration"]))
    actors.append(UserActor("legacy-reporting", 0.02, False, ("us-east-1",), w.ONPREM_IPS, (w.UA_BOTO3,),
                            *_mix({"GetObject:reports": 5, "ListObjects:reports": 2, "PutObject:reports": 1}),
                            error_rate=0.002, user=users["legacy-reporting"]))
    actors.append(UserActor("svc-backup", 0.01, False, ("us-east-1", "eu-west-1"), w.ONPREM_IPS,
                            (w.UA_BOTO3,), *_mix({"PutObject:backups": 6, "DescribeSnapshots": 1,
                                                  "DescribeDBInstances": 1}),
                            error_rate=0.002, user=users["svc-backup"]))
    for name, ip, mfa in (("mwilson", w.OFFICE_IPS[0], True), ("jchen", w.OFFICE_IPS[1], True),
                          ("priya.k", w.OFFICE_IPS[3], False)):
        actors.append(UserActor(name, 0.012, True, ("us-east-1", "us-west-2"), (ip,),
                                (w.UA_CONSOLE[len(actors) % 3], w.UA_CLI[0]), *_mix(HUMAN_READS),
                                error_rate=0.006, console_share=0.7, user=users[name], mfa=mfa))
    for email, role, ip in (("alice@acme-corp.com", "AdministratorAccess", w.OFFICE_IPS[2]),
                            ("bob@acme-corp.com", "PowerUserAccess", w.OFFICE_IPS[0]),
                            ("carol@acme-corp.com", "ReadOnlyAccess", w.OFFICE_IPS[1]),
                            ("dave@acme-corp.com", "PowerUserAccess", w.OFFICE_IPS[3])):
        ops = _mix(HUMAN_READS, ADMIN_EXTRA) if role == "AdministratorAccess" else _mix(HUMAN_READS)
        actors.append(SessionActor(f"sso:{email}", 0.03, True, regions3, (ip,),
                                   (w.UA_CONSOLE[len(actors) % 3], w.UA_CLI[1]), *ops,
                                   error_rate=0.008 if role == "ReadOnlyAccess" else 0.004,
                                   console_share=0.6, role=account.roles[role], issuer=("saml", email),
                                   session_name=email, duration=8 * 3600))
    instance_actors = []
    for inst in account.instances:
        role = account.roles[ROLE_BY_PURPOSE[inst.purpose]]
        weight = 0.006 if inst.purpose in ("idle", "bastion") else 0.03
        actor = SessionActor(f"ec2:{inst.instance_id}", weight, False, (inst.region,),
                             (w.NAT_IPS[inst.region][0],), (w.UA_SSM, w.UA_BOTO3, w.UA_JAVA),
                             *_mix(INSTANCE_OPS), error_rate=0.003, role=role,
                             issuer=("service", "ec2.amazonaws.com"), session_name=inst.instance_id,
                             duration=6 * 3600, ec2=True)
        actor.instance = inst
        instance_actors.append(actor)
    actors.extend(instance_actors)
    for region, fns in account.functions.items():
        for fn in fns:
            role = account.roles[f"lambda-{fn}"]
            actors.append(SessionActor(f"lambda:{region}:{fn}", 0.025, False, (region,),
                                       (w.NAT_IPS[region][-1],), (w.UA_LAMBDA,), *_mix(LAMBDA_OPS),
                                       error_rate=0.004, role=role,
                                       issuer=("service", "lambda.amazonaws.com"), session_name=fn,
                                       duration=12 * 3600))
    actors.append(SessionActor("deploy-role", 0.02, True, ("us-east-1", "us-west-2"), w.CI_IPS,
                               (w.UA_TERRAFORM,), *_mix(DEPLOY_OPS), error_rate=0.004,
                               role=account.roles["deploy-role"], issuer=("user", ci),
                               session_name=f"terraform-{account.name}", source_identity="ci-deployer"))
    web = next(a for a in instance_actors if a.instance.purpose == "web")
    actors.append(SessionActor("app-data-reader", 0.04, False, ("us-east-1",), web.ips, (w.UA_JAVA,),
                               *_mix({"GetObject": 8, "Decrypt": 4, "HeadObject:assets": 1}),
                               error_rate=0.002, role=account.roles["app-data-reader"],
                               issuer=("role", web), session_name="orders-api", duration=3600))
    actors.append(SessionActor("SecurityAudit", 0.06, False, regions3 + (w.RARE_REGION,), SCANNER_IPS,
                               (w.UA_BOTO3,), *_mix(AUDIT_OPS), error_rate=0.01,
                               role=account.roles["SecurityAudit"], issuer=("account", SECURITY_ACCOUNT),
                               session_name="security-scanner", duration=3600))
    actors.append(ServiceActor("config", 0.05, False, regions3, ("config.amazonaws.com",),
                               ("config.amazonaws.com",), *_mix(CONFIG_OPS), error_rate=0.0,
                               service="config.amazonaws.com",
                               linked_role=account.roles["AWSServiceRoleForConfig"]))
    actors.append(ServiceActor("s3-kms", 0.04, False, regions3, ("s3.amazonaws.com",),
                               ("s3.amazonaws.com",), *_mix({"Decrypt": 3, "GenerateDataKey": 2}),
                               error_rate=0.0, service="s3.amazonaws.com"))
    actors.append(ServiceActor("cloudtrail", 0.01, False, regions3, ("cloudtrail.amazonaws.com",),
                               ("cloudtrail.amazonaws.com",), *_mix({"GetBucketAcl": 1}),
                               error_rate=0.0, service="cloudtrail.amazonaws.com"))
    return actors
