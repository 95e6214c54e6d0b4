"""Benign one-off events at fixed times: instance launches, the instance-type change that
shifts a metric, rare root use, routine IAM and security-group changes from known places."""

from __future__ import annotations

from toolkit.sample import ids
from toolkit.sample import world as w
from toolkit.sample.actors import SessionActor, console_login
from toolkit.sample.records import RecordFactory, service_host
from toolkit.sample.world import Account, Instance

EC2 = "ec2.amazonaws.com"
IAM = "iam.amazonaws.com"
SHIFT_NEW_TYPE = "t3.large"


class Script:
    """Collects (epoch, record) pairs for one account."""

    def __init__(self, f: RecordFactory, account: Account, day0: int, days: int):
        self.f, self.a, self.day0, self.days = f, account, day0, days
        self.records: list[tuple[int, dict]] = []
        ci = account.users["ci-deployer"]
        self.ci = {"type": "IAMUser", "principalId": ci.user_id, "arn": ci.arn,
                   "accountId": account.account_id, "accessKeyId": ci.access_key, "userName": ci.name}
        self.alice = SessionActor("sso:alice(scripted)", 0, True, ("us-east-1",), (w.OFFICE_IPS[2],),
                                  (w.UA_CONSOLE[0],), (), (), role=account.roles["AdministratorAccess"],
                                  issuer=("saml", "alice@acme-corp.com"), session_name="alice@acme-corp.com",
                                  duration=8 * 3600)

    def at(self, day: int, hhmmss: str) -> int:
        h, m, s = (int(x) for x in hhmmss.split(":"))
        return self.day0 + day * 86400 + h * 3600 + m * 60 + s

    def add(self, t: int, ident, source, name, region, ip, ua, req, resp, read_only=False, **kw) -> dict:
        rec = self.f.record(ident, ids.iso(t), source, name, region, ip, ua, req, resp, read_only,
                            host=service_host(source, region), **kw)
        self.records.append((t, rec))
        return rec

    def alice_call(self, t: int, source: str, name: str, req, resp) -> dict:
        out: list = []
        ident = self.alice.identity(self.f, t, "us-east-1", True, out)
        for rec in out:
            self.records.append((t - 20, rec))
        return self.add(t, ident, source, name, "us-east-1", w.OFFICE_IPS[2], w.UA_CONSOLE[0], req, resp,
                        version="1.10", console=True)

    def launches(self) -> list[dict]:
        """RunInstances for the instances launched inside the window (terraform via CI)."""
        out = []
        for inst in self.a.instances:
            if inst.launch_day is None or inst.launch_day >= self.days:
                continue
            t = self.at(inst.launch_day, "10:12:31")
            ua = w.UA_TERRAFORM.format(svc="ec2")
            out.append(self.add(t, self.ci, EC2, "RunInstances", inst.region, w.CI_IPS[0], ua,
                                _run_request(inst), _run_response(self.f, self.a, inst), version="1.10"))
        return out

    def instance_type_change(self, inst: Instance, day: int) -> dict:
        """Stop, change type, start: the metric shift's cause. Returns the truth entry."""
        stop_t, modify_t, start_t = self.at(day, "15:02:10"), self.at(day, "15:03:40"), self.at(day, "15:04:30")
        items = {"instancesSet": {"items": [{"instanceId": inst.instance_id}]}}
        self.alice_call(stop_t, EC2, "StopInstances", dict(items, force=False), {
            "requestId": ids.uuid4(self.f.rng), "instancesSet": {"items": [{
                "instanceId": inst.instance_id, "currentState": {"code": 64, "name": "stopping"},
                "previousState": {"code": 16, "name": "running"}}]}})
        old = inst.instance_type
        change = self.alice_call(modify_t, EC2, "ModifyInstanceAttribute",
                                 {"instanceId": inst.instance_id, "instanceType": {"value": SHIFT_NEW_TYPE}},
                                 {"requestId": ids.uuid4(self.f.rng), "_return": True})
        self.alice_call(start_t, EC2, "StartInstances", items, {
            "requestId": ids.uuid4(self.f.rng), "instancesSet": {"items": [{
                "instanceId": inst.instance_id, "currentState": {"code": 0, "name": "pending"},
                "previousState": {"code": 80, "name": "stopped"}}]}})
        inst.instance_type = SHIFT_NEW_TYPE
        return {"change_event_id": change["eventID"], "change_event_name": "ModifyInstanceAttribute",
                "change_time": change["eventTime"], "shift_start": start_t + 60,
                "previous_instance_type": old, "new_instance_type": SHIFT_NEW_TYPE}

    def root_activity(self) -> list[str]:
        """Rare root console use with MFA from the office (benign but notable)."""
        acct, found = self.a.account_id, []
        for day in range(1, self.days, 3):
            t = self.at(day, "16:21:05")
            base = {"type": "Root", "principalId": acct, "arn": f"arn:aws:iam::{acct}:root", "accountId": acct}
            login = console_login(self.f, base, t, w.OFFICE_IPS[2], w.UA_CONSOLE[0], True, ok=True)
            self.records.append((t, login))
            ident = dict(base, accessKeyId=ids.iam_id(self.f.rng, "ASIA"), sessionContext={
                "attributes": {"creationDate": ids.iso(t), "mfaAuthenticated": "true"}})
            found.append(login["eventID"])
            for k, (source, name) in enumerate((("iam.amazonaws.com", "GetAccountSummary"),
                                                ("account.amazonaws.com", "GetContactInformation"),
                                                (EC2, "DescribeAccountAttributes"))):
                rec = self.add(t + 40 + 25 * k, ident, source, name, "us-east-1", w.OFFICE_IPS[2],
                               w.UA_CONSOLE[0], None, None, True, console=True)
                found.append(rec["eventID"])
        return found

    def routine_changes(self) -> list[str]:
        """Terraform IAM/SG changes from CI and a human rotating their own key (benign)."""
        acct, found = self.a.account_id, []
        if self.days < 3:
            return found
        t = self.at(2, "11:05:12")
        ua = w.UA_TERRAFORM.format(svc="iam")
        role = "lambda-invoice-mailer"
        policy = ("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                  "{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}")
        found.append(self.add(t, self.ci, IAM, "CreateRole", "us-east-1", w.CI_IPS[1], ua,
                              {"roleName": role, "path": "/service-role/", "assumeRolePolicyDocument": policy},
                              {"role": {"path": "/service-role/", "roleName": role,
                                        "roleId": ids.iam_id(self.f.rng, "AROA"),
                                        "arn": f"arn:aws:iam::{acct}:role/service-role/{role}",
                                        "createDate": ids.human_time(t), "assumeRolePolicyDocument": policy}})["eventID"])
        found.append(self.add(t + 3, self.ci, IAM, "AttachRolePolicy", "us-east-1", w.CI_IPS[1], ua,
                              {"roleName": role, "policyArn":
                               "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}, None)["eventID"])
        web = next(i for i in self.a.instances if i.purpose == "web")
        found.append(self.add(t + 40, self.ci, EC2, "AuthorizeSecurityGroupIngress", web.region, w.CI_IPS[1],
                              w.UA_TERRAFORM.format(svc="ec2"),
                              {"groupId": web.sg_id, "ipPermissions": {"items": [{
                                  "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "groups": {},
                                  "ipRanges": {"items": [{"cidrIp": "10.0.0.0/16", "description": "internal ALB"}]},
                                  "ipv6Ranges": {}, "prefixListIds": {}}]}},
                              {"requestId": ids.uuid4(self.f.rng), "_return": True,
                               "securityGroupRuleSet": {"items": [{"groupOwnerId": acct, "groupId": web.sg_id,
                                "securityGroupRuleId": ids.hex_id(self.f.rng, "sgr-"), "isEgress": False,
                                "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.0.0.0/16",
                                "description": "internal ALB"}]}}, version="1.10")["eventID"])
        return found


def _run_request(inst: Instance) -> dict:
    return {"instancesSet": {"items": [{"imageId": inst.image_id, "minCount": 1, "maxCount": 1}]},
            "instanceType": inst.instance_type, "blockDeviceMapping": {}, "monitoring": {"enabled": False},
            "disableApiTermination": False, "disableApiStop": False, "subnetId": inst.subnet_id,
            "groupSet": {"items": [{"groupId": inst.sg_id}]},
            "iamInstanceProfile": {"name": f"{inst.purpose}-instance-profile"},
            "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [
                {"key": "Name", "value": f"{inst.purpose}-{inst.instance_id[-4:]}"}]}]}}


def _run_response(f: RecordFactory, a: Account, inst: Instance) -> dict:
    return {"requestId": ids.uuid4(f.rng), "reservationId": ids.hex_id(f.rng, "r-"), "ownerId": a.account_id,
            "groupSet": {}, "instancesSet": {"items": [{
                "instanceId": inst.instance_id, "imageId": inst.image_id,
                "instanceState": {"code": 0, "name": "pending"}, "privateIpAddress": inst.private_ip,
                "amiLaunchIndex": 0, "productCodes": {}, "instanceType": inst.instance_type,
                "placement": {"availabilityZone": f"{inst.region}a", "tenancy": "default"},
                "monitoring": {"state": "disabled"}, "subnetId": inst.subnet_id,
                "groupSet": {"items": [{"groupId": inst.sg_id, "groupName": f"{inst.purpose}-sg"}]},
                "architecture": "x86_64", "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda",
                "blockDeviceMapping": {}, "virtualizationType": "hvm", "hypervisor": "xen",
                "networkInterfaceSet": {}, "ebsOptimized": False, "enaSupport": True}]}}
