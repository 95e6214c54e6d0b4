"""The benign API catalog: what each call looks like in CloudTrail (source, name, parameters,
response, resources, data-event shape). Read-heavy, across many services.

An operation is ``Op(source, name, read_only, version, request, response, resources, kind)``;
``request``/``response``/``resources`` are callables of ``(factory, region)`` (or constants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolkit.sample import ids
from toolkit.sample.records import (
    GLOBAL_SOURCES,
    RecordFactory,
    access_denied,
    throttled,
)
from toolkit.sample.world import GLOBAL_REGION


@dataclass(frozen=True)
class Op:
    source: str
    name: str
    read_only: bool
    version: str = "1.08"
    request: Callable | dict | None = None
    response: Callable | dict | None = None
    resources: Callable | None = None
    kind: str = "api"   # "api" | "s3data" | "lambdadata"
    bucket: str = ""    # s3data: bucket purpose
    s3_verb: str = ""   # s3data: GetObject / PutObject / HeadObject / ListObjects


def _v(value, f, region):
    return value(f, region) if callable(value) else value


def _instance(f: RecordFactory, region: str):
    if f.current_instance is not None:  # an instance's own role talks about itself
        return f.current_instance
    insts = f.cache.get(region)
    if insts is None:
        insts = f.cache[region] = f.account.instances_in(region) or f.account.instances
    return insts[int(f.rng.random() * len(insts))]


def _kms_arn(f, region):
    return f"arn:aws:kms:{region}:{f.acct}:key/{f.account.kms_keys.get(region, f.account.kms_keys['us-east-1'])}"


def _kms_decrypt_req(f, region):
    return {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {
        "aws:s3:arn": f"arn:aws:s3:::{f.account.buckets['customer-data']}"}}


def _kms_res(f, region):
    return [{"accountId": f.acct, "type": "AWS::KMS::Key", "ARN": _kms_arn(f, region)}]


def _instance_ids(f, region):
    return {"instancesSet": {"items": [{"instanceId": _instance(f, region).instance_id}]},
            "filterSet": {}, "includeAllInstances": False}


def _function(f, region):
    fns = f.account.functions.get(region) or f.account.functions["us-east-1"]
    return fns[int(f.rng.random() * len(fns))]


def _secret(f, region):
    s = f.account.secrets[int(f.rng.random() * len(f.account.secrets))]
    return {"secretId": f"arn:aws:secretsmanager:{region}:{f.acct}:secret:{s}-AbCdEf"}


def _param(f, region):
    return {"name": f.account.parameters[int(f.rng.random() * len(f.account.parameters))],
            "withDecryption": True}


def _db(f, region):
    dbs = f.account.databases.get(region)
    return {"dBInstanceIdentifier": dbs[0]} if dbs else {}


def _alb(f, region):
    lb = f.account.load_balancers.get(region, "")
    return {"loadBalancerArns": [f"arn:aws:elasticloadbalancing:{region}:{f.acct}:loadbalancer/{lb}"]}


def _tags(f, region):
    return {"resourcesSet": {"items": [{"resourceId": _instance(f, region).instance_id}]},
            "tagSet": {"items": [{"key": "Backup", "value": "daily"}]}}


def _log_stream(f, region):
    return {"logGroupName": f"/aws/lambda/{_function(f, region)}",
            "logStreamName": f"2025/03/03/[$LATEST]{f'{f.rng.getrandbits(128):032x}'}"}


def _metric_data(f, region):
    inst = _instance(f, region)
    return {"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {
        "namespace": "AWS/EC2", "metricName": "CPUUtilization",
        "dimensions": [{"name": "InstanceId", "value": inst.instance_id}]}, "period": 300,
        "stat": "Average"}}], "startTime": "Mar 3, 2025, 12:00:00 AM", "endTime": "Mar 3, 2025, 1:00:00 AM"}


E = "ec2.amazonaws.com"
CATALOG: dict[str, Op] = {op.name: op for op in (
    Op(E, "DescribeInstances", True, "1.10", _instance_ids),
    Op(E, "DescribeSecurityGroups", True, "1.10", {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}}),
    Op(E, "DescribeVolumes", True, "1.10", {"volumeSet": {}, "filterSet": {}}),
    Op(E, "DescribeSnapshots", True, "1.10", {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "sharedUsersSet": {}, "filterSet": {}}),
    Op(E, "DescribeVpcs", True, "1.10", {"vpcSet": {}, "filterSet": {}}),
    Op(E, "DescribeSubnets", True, "1.10", {"subnetSet": {}, "filterSet": {}}),
    Op(E, "DescribeNetworkInterfaces", True, "1.10", {"networkInterfaceIdSet": {}, "filterSet": {}}),
    Op(E, "DescribeRegions", True, "1.10", {"regionSet": {}, "allRegions": False}),
    Op(E, "DescribeAvailabilityZones", True, "1.10", {"availabilityZoneSet": {}, "availabilityZoneIdSet": {}}),
    Op(E, "DescribeInstanceStatus", True, "1.10", _instance_ids),
    Op(E, "DescribeTags", True, "1.10", {"filterSet": {"items": [{"name": "resource-type", "valueSet": {"items": [{"value": "instance"}]}}]}}),
    Op(E, "DescribeImages", True, "1.10", {"executableBySet": {}, "imagesSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "filterSet": {}}),
    Op(E, "CreateTags", False, "1.10", _tags, {"_return": True}),
    Op("s3.amazonaws.com", "ListBuckets", True, "1.10", {"Host": "s3.amazonaws.com"}),
    Op("s3.amazonaws.com", "GetBucketAcl", True, "1.10", lambda f, r: {"bucketName": f.account.buckets["assets"], "acl": ""}),
    Op("s3.amazonaws.com", "GetBucketPolicy", True, "1.10", lambda f, r: {"bucketName": f.account.buckets["customer-data"], "policy": ""}),
    Op("s3.amazonaws.com", "GetBucketEncryption", True, "1.10", lambda f, r: {"bucketName": f.account.buckets["reports"], "encryption": ""}),
    Op("s3.amazonaws.com", "GetBucketLocation", True, "1.10", lambda f, r: {"bucketName": f.account.buckets["artifacts"], "location": ""}),
    Op("iam.amazonaws.com", "GetUser", True, "1.08", None),
    Op("iam.amazonaws.com", "ListUsers", True, "1.08", None),
    Op("iam.amazonaws.com", "ListRoles", True, "1.08", None),
    Op("iam.amazonaws.com", "GetRole", True, "1.08", lambda f, r: {"roleName": "web-instance-role"}),
    Op("iam.amazonaws.com", "ListAttachedRolePolicies", True, "1.08", lambda f, r: {"roleName": "deploy-role"}),
    Op("iam.amazonaws.com", "ListPolicies", True, "1.08", {"scope": "Local", "onlyAttached": False}),
    Op("iam.amazonaws.com", "GetAccountSummary", True, "1.08", None),
    Op("iam.amazonaws.com", "ListAccessKeys", True, "1.08", None),
    Op("sts.amazonaws.com", "GetCallerIdentity", True, "1.08", None),
    Op("kms.amazonaws.com", "Decrypt", True, "1.11", _kms_decrypt_req, None, _kms_res),
    Op("kms.amazonaws.com", "GenerateDataKey", True, "1.11", lambda f, r: {"keyId": _kms_arn(f, r), "keySpec": "AES_256", "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{f.account.buckets['reports']}"}}, None, _kms_res),
    Op("kms.amazonaws.com", "DescribeKey", True, "1.11", lambda f, r: {"keyId": _kms_arn(f, r)}, None, _kms_res),
    Op("kms.amazonaws.com", "ListAliases", True, "1.11", None),
    Op("lambda.amazonaws.com", "ListFunctions20150331", True, "1.08", None),
    Op("lambda.amazonaws.com", "GetFunction20150331v2", True, "1.08", lambda f, r: {"functionName": _function(f, r)}),
    Op("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", False, "1.08", lambda f, r: {"functionName": _function(f, r), "s3Bucket": f.account.buckets["artifacts"], "s3Key": f"lambda/{_function(f, r)}-{f'{f.rng.getrandbits(28):07x}'}.zip", "publish": True, "dryRun": False}),
    Op("logs.amazonaws.com", "DescribeLogGroups", True, "1.08", None),
    Op("logs.amazonaws.com", "FilterLogEvents", True, "1.08", lambda f, r: {"logGroupName": f"/aws/lambda/{_function(f, r)}", "limit": 100}),
    Op("logs.amazonaws.com", "CreateLogStream", False, "1.08", _log_stream),
    Op("monitoring.amazonaws.com", "GetMetricData", True, "1.11", _metric_data),
    Op("monitoring.amazonaws.com", "DescribeAlarms", True, "1.11", {"maxRecords": 100}),
    Op("monitoring.amazonaws.com", "ListMetrics", True, "1.11", {"namespace": "AWS/EC2"}),
    Op("ssm.amazonaws.com", "GetParameter", True, "1.08", _param),
    Op("ssm.amazonaws.com", "UpdateInstanceInformation", False, "1.11", lambda f, r: {"instanceId": _instance(f, r).instance_id, "agentVersion": "3.3.1611.0", "agentStatus": "Active", "platformType": "Linux", "platformName": "Amazon Linux", "platformVersion": "2023", "iPAddress": "HIDDEN_DUE_TO_SECURITY_REASONS", "agentName": "amazon-ssm-agent", "sSMConnectionChannel": "ssmmessages"}),
    Op("ssm.amazonaws.com", "ListInstanceAssociations", True, "1.11", lambda f, r: {"instanceId": _instance(f, r).instance_id, "maxResults": 20}),
    Op("secretsmanager.amazonaws.com", "GetSecretValue", True, "1.08", _secret),
    Op("secretsmanager.amazonaws.com", "DescribeSecret", True, "1.08", _secret),
    Op("rds.amazonaws.com", "DescribeDBInstances", True, "1.08", _db),
    Op("rds.amazonaws.com", "DescribeDBClusters", True, "1.08", {"includeShared": False}),
    Op("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers", True, "1.08", _alb),
    Op("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", True, "1.08", lambda f, r: {"targetGroupArn": f"arn:aws:elasticloadbalancing:{r}:{f.acct}:targetgroup/web-tg/{f.account.load_balancers.get(r, 'a/b/0')[-16:]}"}),
    Op("cloudtrail.amazonaws.com", "DescribeTrails", True, "1.11", {"includeShadowTrails": True}),
    Op("cloudtrail.amazonaws.com", "GetTrailStatus", True, "1.11", lambda f, r: {"name": f"arn:aws:cloudtrail:us-east-1:{f.acct}:trail/{f.account.trail_name}"}),
    Op("cloudtrail.amazonaws.com", "LookupEvents", True, "1.11", {"maxResults": 50}),
    Op("dynamodb.amazonaws.com", "DescribeTable", True, "1.08", {"tableName": "orders"}),
    Op("dynamodb.amazonaws.com", "ListTables", True, "1.08", None),
    Op("ecr.amazonaws.com", "GetAuthorizationToken", True, "1.08", {"registryIds": []}),
    Op("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", True, "1.08", None),
    Op("cloudformation.amazonaws.com", "DescribeStacks", True, "1.08", None),
    Op("route53.amazonaws.com", "ListHostedZones", True, "1.08", None),
    Op("organizations.amazonaws.com", "DescribeOrganization", True, "1.11", None),
    Op("guardduty.amazonaws.com", "ListDetectors", True, "1.11", None),
    Op("health.amazonaws.com", "DescribeEventAggregates", True, "1.11", {"aggregateField": "eventTypeCategory", "filter": {"eventStatusCodes": ["open"], "eventTypeCategories": ["issue"]}}),
    Op("config.amazonaws.com", "DescribeConfigRules", True, "1.08", None),
    Op("s3.amazonaws.com", "GetObject", True, "1.10", kind="s3data", bucket="customer-data", s3_verb="GetObject"),
    Op("s3.amazonaws.com", "GetObject:assets", True, "1.10", kind="s3data", bucket="assets", s3_verb="GetObject"),
    Op("s3.amazonaws.com", "GetObject:reports", True, "1.10", kind="s3data", bucket="reports", s3_verb="GetObject"),
    Op("s3.amazonaws.com", "PutObject:reports", False, "1.10", kind="s3data", bucket="reports", s3_verb="PutObject"),
    Op("s3.amazonaws.com", "PutObject:backups", False, "1.10", kind="s3data", bucket="backups", s3_verb="PutObject"),
    Op("s3.amazonaws.com", "PutObject:logs", False, "1.10", kind="s3data", bucket="logs", s3_verb="PutObject"),
    Op("s3.amazonaws.com", "HeadObject:assets", True, "1.10", kind="s3data", bucket="assets", s3_verb="HeadObject"),
    Op("s3.amazonaws.com", "ListObjects:reports", True, "1.10", kind="s3data", bucket="reports", s3_verb="ListObjects"),
    Op("lambda.amazonaws.com", "Invoke", False, "1.08", kind="lambdadata"),
)}

S3_PREFIXES = {"customer-data": ("customers/", "exports/2025/", "invoices/"),
               "assets": ("img/", "css/", "js/"), "reports": ("daily/", "weekly/"),
               "backups": ("pg_dump/",), "logs": ("AWSLogs/elasticloadbalancing/",),
               "artifacts": ("lambda/",)}


def call(f: RecordFactory, op: Op, ident: dict, t: str, region: str, ip: str, ua: str,
         console: bool, error: str | None, arn: str) -> dict:
    """One record for a benign call of ``op``; ``error`` is None, "denied" or "throttled"."""
    if op.kind == "s3data":
        return s3_data_event(f, op.s3_verb, f.account.buckets[op.bucket], ident, t, region, ip, ua,
                             error=error, arn=arn)
    if op.kind == "lambdadata":
        return lambda_invoke(f, ident, t, region, ip, ua, _function(f, region))
    if op.source in GLOBAL_SOURCES:
        region = GLOBAL_REGION
    err = None
    if error == "denied":
        err = access_denied(op.source, op.name, arn)
    elif error == "throttled":
        err = throttled(op.source)
    return f.record(ident, t, op.source, op.name, region, ip, ua, _v(op.request, f, region),
                    _v(op.response, f, region), op.read_only, version=op.version,
                    resources=op.resources(f, region) if op.resources else None, error=err,
                    host=None if ip.endswith("amazonaws.com") else f.host(op.source, region),
                    console=console)


def s3_data_event(f: RecordFactory, verb: str, bucket: str, ident: dict, t: str, region: str,
                  ip: str, ua: str, *, key: str | None = None, error: str | None = None,
                  arn: str = "", size: int | None = None) -> dict:
    """An S3 data event (eventCategory Data) for GetObject/PutObject/HeadObject/ListObjects."""
    rng = f.rng
    purpose, host, bucket_res = _bucket(f, bucket, region)
    if verb == "ListObjects":
        req = {"bucketName": bucket, "Host": host, "list-type": "2",
               "prefix": S3_PREFIXES[purpose][0], "max-keys": "1000"}
        res = [bucket_res]
    else:
        if key is None:
            prefixes = S3_PREFIXES[purpose]
            key = f"{prefixes[int(rng.random() * len(prefixes))]}{f'{rng.getrandbits(40):010x}'}.json.gz"
        req = {"bucketName": bucket, "Host": host, "key": key}
        res = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}, bucket_res]
    size = size if size is not None else 2_000 + int(rng.random() * 3_998_000)
    out_bytes, in_bytes = (size, 0) if verb == "GetObject" else (0, size if verb == "PutObject" else 0)
    extra = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
             "bytesTransferredIn": in_bytes, "AuthenticationMethod": "AuthHeader",
             "x-amz-id-2": ids.amz_id_2(rng), "bytesTransferredOut": out_bytes}
    err = None
    if error == "denied":
        err = ("AccessDenied", "Access Denied")
    elif error == "throttled":
        err = ("SlowDown", "Please reduce your request rate.")
    in_vpc = not ip.endswith("amazonaws.com") and ip.startswith(("3.", "54.", "44.", "34.", "52.4", "98."))
    return f.record(ident, t, "s3.amazonaws.com", verb, region, ip, ua, req,
                    None if verb != "PutObject" else {"x-amz-server-side-encryption": "aws:kms",
                                                      "x-amz-server-side-encryption-aws-kms-key-id": _kms_arn(f, region)},
                    verb != "PutObject", version="1.10", resources=res, extra=extra, error=err,
                    data=True, host=host, request_id=ids.s3_request_id(rng), vpce=in_vpc)


def _bucket(f: RecordFactory, bucket: str, region: str) -> tuple[str, str, dict]:
    """(purpose, endpoint host, resources entry) of a bucket, cached per factory."""
    found = f.cache.get((bucket, region))
    if found is None:
        purpose = next((p for p, b in f.account.buckets.items() if b == bucket), "assets")
        found = f.cache[(bucket, region)] = (
            purpose, f"{bucket}.s3.{region}.amazonaws.com",
            {"accountId": f.acct, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"})
    return found


def lambda_invoke(f: RecordFactory, ident: dict, t: str, region: str, ip: str, ua: str, fn: str) -> dict:
    arn = f"arn:aws:lambda:{region}:{f.acct}:function:{fn}"
    return f.record(ident, t, "lambda.amazonaws.com", "Invoke", region, ip, ua,
                    {"functionName": arn, "invocationType": "Event", "sourceArn": f"arn:aws:sqs:{region}:{f.acct}:orders-queue"},
                    None, False, version="1.08", data=True,
                    resources=[{"accountId": f.acct, "type": "AWS::Lambda::Function", "ARN": arn}],
                    extra={"functionVersion": f"{arn}:$LATEST"},
                    host=None if ip.endswith("amazonaws.com") else f"lambda.{region}.amazonaws.com")
