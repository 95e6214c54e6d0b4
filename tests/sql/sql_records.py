"""A handful of realistic CloudTrail records (shapes copied from AWS documentation and the real
fixtures) covering what the curated models extract: console logins, credential-issuing STS
calls, mutating calls on EC2/RDS/Lambda/ALB/S3/IAM, errors and data events."""

from __future__ import annotations

import copy
import json

ACCOUNT = "123456789012"
DAY = "2025-03-06"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
USER_KEY = "AKIAIOSFODNN7EXAMPLE"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/deploy"
ISSUED_KEY = "ASIAY34FZKBOKMUTVV7A"
ALB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188"

_n = 0


def _id() -> str:
    global _n
    _n += 1
    return f"00000000-0000-4000-8000-{_n:012d}"


def iam_user() -> dict:
    return {"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE", "arn": USER_ARN,
            "accountId": ACCOUNT, "accessKeyId": USER_KEY, "userName": "alice"}


def role_session(key: str = ISSUED_KEY, source_identity: str | None = "alice") -> dict:
    ctx = {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID", "arn": ROLE_ARN,
                             "accountId": ACCOUNT, "userName": "deploy"},
           "attributes": {"creationDate": f"{DAY}T09:00:00Z", "mfaAuthenticated": "false"}}
    if source_identity:
        ctx["sourceIdentity"] = source_identity
    return {"type": "AssumedRole", "principalId": "AROAEXAMPLEROLEID:deploy-session",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/deploy-session",
            "accountId": ACCOUNT, "accessKeyId": key, "sessionContext": ctx}


def record(name: str, source: str, time: str, identity: dict, *, read_only: bool | None = None,
           request=None, response=None, error: tuple[str, str] | None = None,
           resources=None, category="Management", extra=None, ip="203.0.113.10") -> dict:
    rec = {
        "eventVersion": "1.09", "userIdentity": copy.deepcopy(identity),
        "eventTime": f"{DAY}T{time}Z", "eventSource": source, "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": request, "responseElements": response,
        "requestID": _id(), "eventID": _id(), "eventType": "AwsApiCall",
        "managementEvent": category == "Management", "recipientAccountId": ACCOUNT,
        "eventCategory": category,
    }
    if read_only is not None:
        rec["readOnly"] = read_only
    if error:
        rec["errorCode"], rec["errorMessage"] = error
    if resources:
        rec["resources"] = resources
    rec.update(extra or {})
    return rec


def console_login(time, identity, success=True, mfa="Yes") -> dict:
    rec = record("ConsoleLogin", "signin.amazonaws.com", time, identity, read_only=False,
                 response={"ConsoleLogin": "Success" if success else "Failure"},
                 error=None if success else ("", "Failed authentication"),
                 extra={"eventType": "AwsConsoleSignIn",
                        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/",
                                                "MobileVersion": "No", "MFAUsed": mfa}})
    if not success:
        rec.pop("errorCode")
    return rec


def day_records() -> list[dict]:
    """Records of one day (DAY) for one account."""
    user, session = iam_user(), role_session()
    root = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT}
    return [
        console_login("08:00:00", user, success=False, mfa="No"),
        console_login("08:00:30", user, success=True, mfa="Yes"),
        console_login("08:30:00", root, success=True, mfa="No"),
        record("AssumeRole", "sts.amazonaws.com", "09:00:00", user, read_only=True,
               request={"roleArn": ROLE_ARN, "roleSessionName": "deploy-session",
                        "sourceIdentity": "alice", "durationSeconds": 3600},
               response={"credentials": {"accessKeyId": ISSUED_KEY, "sessionToken": "x",
                                         "expiration": "Mar 6, 2025, 10:00:00 AM"},
                         "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEROLEID:deploy-session",
                                             "arn": session["arn"]},
                         "sourceIdentity": "alice"},
               resources=[{"ARN": ROLE_ARN, "accountId": ACCOUNT, "type": "AWS::IAM::Role"}]),
        record("GetSessionToken", "sts.amazonaws.com", "09:01:00", user, read_only=True,
               request={"durationSeconds": 900, "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/alice"},
               response={"credentials": {"accessKeyId": "ASIAGETSESSIONTOKEN1", "sessionToken": "x",
                                         "expiration": "Mar 6, 2025, 9:16:00 AM"}}),
        record("AssumeRole", "sts.amazonaws.com", "09:02:00", user, read_only=True,
               request={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/admin", "roleSessionName": "x"},
               error=("AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not "
                      "authorized to perform: sts:AssumeRole")),
        record("ModifyInstanceAttribute", "ec2.amazonaws.com", "10:00:00", session, read_only=False,
               request={"instanceId": "i-0abc1234def567890",
                        "instanceType": {"value": "t3.small"}}, response={"_return": True}),
        record("RunInstances", "ec2.amazonaws.com", "10:05:00", session, read_only=False,
               request={"instancesSet": {"items": [{"imageId": "ami-0123", "minCount": 2,
                                                    "maxCount": 2}]}, "instanceType": "t3.micro"},
               response={"instancesSet": {"items": [{"instanceId": "i-0new0000000000001"},
                                                    {"instanceId": "i-0new0000000000002"}]}}),
        record("StopInstances", "ec2.amazonaws.com", "10:06:00", session, read_only=False,
               request={"instancesSet": {"items": [{"instanceId": "i-0abc1234def567890"}]},
                        "force": False},
               response={"instancesSet": {"items": [{"instanceId": "i-0abc1234def567890",
                                                     "currentState": {"code": 64}}]}}),
        record("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", "10:10:00", session,
               read_only=False, request={"groupId": "sg-0123456789abcdef0",
                                         "ipPermissions": {"items": [{"ipProtocol": "tcp",
                                                                      "fromPort": 22, "toPort": 22}]}},
               response={"_return": True}),
        record("ModifyDBInstance", "rds.amazonaws.com", "10:20:00", session, read_only=False,
               request={"dBInstanceIdentifier": "orders-db", "dBInstanceClass": "db.r6g.large"}),
        record("UpdateFunctionConfiguration20150331v2", "lambda.amazonaws.com", "10:30:00", session,
               read_only=False,
               request={"functionName": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:checkout",
                        "memorySize": 256}),
        record("ModifyLoadBalancerAttributes", "elasticloadbalancing.amazonaws.com", "10:40:00",
               session, read_only=False, request={"loadBalancerArn": ALB_ARN, "attributes": []}),
        record("PutBucketPolicy", "s3.amazonaws.com", "10:50:00", user, read_only=False,
               request={"bucketName": "acme-data", "policy": "{}"},
               resources=[{"ARN": "arn:aws:s3:::acme-data", "accountId": ACCOUNT,
                           "type": "AWS::S3::Bucket"}]),
        record("PutObject", "s3.amazonaws.com", "11:00:00", session, read_only=False,
               category="Data", request={"bucketName": "acme-data", "key": "reports/a.csv"},
               resources=[{"ARN": "arn:aws:s3:::acme-data/reports/a.csv", "type": "AWS::S3::Object"},
                          {"ARN": "arn:aws:s3:::acme-data", "accountId": ACCOUNT,
                           "type": "AWS::S3::Bucket"}]),
        record("DescribeInstances", "ec2.amazonaws.com", "11:10:00", session, read_only=True),
        record("ListBuckets", "s3.amazonaws.com", "11:11:00", user, read_only=True,
               error=("AccessDenied", "Access Denied"), ip="198.51.100.77"),
        record("DescribeInstances", "ec2.amazonaws.com", "11:12:00", user, read_only=True,
               error=("Client.RequestLimitExceeded", "Request limit exceeded.")),
        record("CreateAccessKey", "iam.amazonaws.com", "11:20:00", user, read_only=False,
               request={"userName": "bob"},
               response={"accessKey": {"accessKeyId": "AKIANEWKEYFORBOB0001", "status": "Active",
                                       "userName": "bob", "createDate": "Mar 6, 2025 11:20:00 AM"}}),
    ]


def parquet_day(records: list[dict]):
    """Records through the ingest's own flattening (events_from_records)."""
    from toolkit.cloudtrail import events_from_records

    return events_from_records(json.loads(json.dumps(records)), source_file="tests/sql/sql_records.py")
