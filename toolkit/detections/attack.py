"""MITRE ATT&CK (Enterprise, cloud matrix) tactics and the techniques rules may cite.

Rule files name a tactic by its ATT&CK short name and a technique by id; validation checks both
against these tables so a typo cannot ship. Source: https://attack.mitre.org/matrices/enterprise/cloud/
"""

from __future__ import annotations

TACTICS = {
    "reconnaissance": "TA0043",
    "resource-development": "TA0042",
    "initial-access": "TA0001",
    "execution": "TA0002",
    "persistence": "TA0003",
    "privilege-escalation": "TA0004",
    "defense-evasion": "TA0005",
    "credential-access": "TA0006",
    "discovery": "TA0007",
    "lateral-movement": "TA0008",
    "collection": "TA0009",
    "exfiltration": "TA0010",
    "command-and-control": "TA0011",
    "impact": "TA0040",
}

TECHNIQUES = {
    "T1021.007": "Remote Services: Cloud Services",
    "T1059.009": "Command and Scripting Interpreter: Cloud API",
    "T1078": "Valid Accounts",
    "T1078.004": "Valid Accounts: Cloud Accounts",
    "T1087.004": "Account Discovery: Cloud Account",
    "T1098": "Account Manipulation",
    "T1098.001": "Account Manipulation: Additional Cloud Credentials",
    "T1098.003": "Account Manipulation: Additional Cloud Roles",
    "T1098.004": "Account Manipulation: SSH Authorized Keys",
    "T1110": "Brute Force",
    "T1136.003": "Create Account: Cloud Account",
    "T1190": "Exploit Public-Facing Application",
    "T1484.002": "Domain or Tenant Policy Modification: Trust Modification",
    "T1485": "Data Destruction",
    "T1486": "Data Encrypted for Impact",
    "T1490": "Inhibit System Recovery",
    "T1496": "Resource Hijacking",
    "T1496.001": "Resource Hijacking: Compute Hijacking",
    "T1496.004": "Resource Hijacking: Cloud Service Hijacking",
    "T1526": "Cloud Service Discovery",
    "T1530": "Data from Cloud Storage",
    "T1535": "Unused/Unsupported Cloud Regions",
    "T1537": "Transfer Data to Cloud Account",
    "T1550.001": "Use Alternate Authentication Material: Application Access Token",
    "T1552": "Unsecured Credentials",
    "T1552.005": "Unsecured Credentials: Cloud Instance Metadata API",
    "T1555.006": "Credentials from Password Stores: Cloud Secrets Management Stores",
    "T1556": "Modify Authentication Process",
    "T1556.006": "Modify Authentication Process: Multi-Factor Authentication",
    "T1562.001": "Impair Defenses: Disable or Modify Tools",
    "T1562.007": "Impair Defenses: Disable or Modify Cloud Firewall",
    "T1562.008": "Impair Defenses: Disable or Modify Cloud Logs",
    "T1578.005": "Modify Cloud Compute Infrastructure: Modify Cloud Compute Configurations",
    "T1580": "Cloud Infrastructure Discovery",
    "T1648": "Serverless Execution",
    "T1651": "Cloud Administration Command",
    "T1666": "Modify Cloud Resource Hierarchy",
}
