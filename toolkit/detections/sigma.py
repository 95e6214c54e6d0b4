"""Import Sigma rules for AWS CloudTrail (``trailwatch rules import-sigma``).

pySigma parses each rule and its condition (selections, ``1 of``, ``not``, modifiers); this
module is the backend: it turns the parsed condition tree into one Athena SQL condition over the
``events`` table (``FIELDS`` maps CloudTrail record fields to columns; ``requestParameters.*``,
``responseElements.*``, ``additionalEventData.*`` and ``serviceEventDetails.*`` become
``json_extract_scalar``), and writes a trailwatch rule keeping the Sigma id, title, author, level,
ATT&CK tags and references (SigmaHQ rules are under the Detection Rule License 1.1: the
attribution travels with every rule). Each imported rule carries tests built from its own
selections: a record that satisfies the condition (positive) and a neutral one (negative). A
rule is only written when its SQL compiles and both tests pass on DuckDB; the others are
reported with the reason.

Semantics kept from Sigma: plain values match exactly, wildcard values (``contains``,
``startswith``, ``endswith``, ``*``) match case-insensitively, ``|re`` is ``regexp_like``,
``null`` is ``is null``, and ``not`` is true when the field is absent.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.detections.attack import TACTICS, TECHNIQUES
from toolkit.detections.rules import DEFAULT_RECORD, build_rule, validate_rule
from toolkit.detections.testing import run_rule_tests

SIGMA_SOURCE = "SigmaHQ/sigma @ 8eaafff, rules/cloud/aws/cloudtrail (Detection Rule License 1.1)"
FIELDS = {
    "eventSource": "event_source", "eventName": "event_name", "eventType": "event_type",
    "eventCategory": "event_category", "eventVersion": "event_version", "errorCode": "error_code",
    "errorMessage": "error_message", "sourceIPAddress": "source_ip_address",
    "userAgent": "user_agent", "awsRegion": "aws_region", "readOnly": "read_only",
    "managementEvent": "management_event", "recipientAccountId": "recipient_account_id",
    "vpcEndpointId": "vpc_endpoint_id", "eventID": "event_id",
    "userIdentity.type": "identity_type", "userIdentity.arn": "principal_arn",
    "userIdentity.principalId": "principal_id", "userIdentity.accountId": "account_id",
    "userIdentity.accessKeyId": "access_key_id", "userIdentity.userName": "user_name",
    "userIdentity.invokedBy": "invoked_by",
    "userIdentity.sessionContext.sessionIssuer.type": "user_identity.session_context.session_issuer.type",
    "userIdentity.sessionContext.sessionIssuer.arn": "session_issuer_arn",
    "userIdentity.sessionContext.sessionIssuer.userName": "session_issuer_user_name",
    "userIdentity.sessionContext.attributes.mfaAuthenticated": "mfa_authenticated",
}
BOOLEAN_FIELDS = {"readOnly", "managementEvent"}
JSON_FIELDS = {"requestParameters": "request_parameters", "responseElements": "response_elements",
               "additionalEventData": "additional_event_data",
               "serviceEventDetails": "service_event_details"}
# ATT&CK v18 split defense evasion into stealth and defense impairment; trailwatch files such
# rules under defense-evasion (the Sigma tags are kept verbatim in the rule's sigma block).
TACTIC_ALIASES = {"stealth": "defense-evasion", "defense-impairment": "defense-evasion",
                  "defense_evasion": "defense-evasion"}
# SigmaHQ rules whose tags name a tactic but no technique: the technique trailwatch files them
# under (reviewed by hand; the rule's sigma.tags stay as published).
TECHNIQUE_FALLBACK = {
    "39c9f26d-6e3b-4dbb-9c7a-4154b0281112": "T1485",      # S3 bucket deleted
    "e386b9b5-af12-450e-afff-761730fb8a98": "T1562.008",  # VPC flow logs deleted
    "a5ffb6ea-c784-4e01-b30a-deb6e58ca2ab": "T1535",      # region enabled
    "25cb1ba1-8a19-4a23-a198-d252664c8cef": "T1485",      # EFS file share modified or deleted
    "ec541962-c05a-4420-b9ea-84de072d18f4": "T1190",      # Lambda function URL created
    "97fbabf8-8e1b-47a2-b7d5-a418d2b95e3d": "T1648",      # Lambda layer attached
    "4990c2e3-f4b8-45e3-bc3c-30b14ff0ed26": "T1098.003",  # role passed to a Glue dev endpoint
}
NEGATIVE_BASE = {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeRegions",
                 "readOnly": True}


class Unsupported(ValueError):
    """The Sigma rule uses something this backend cannot express (the reason is reported)."""


@dataclass
class ImportReport:
    total: int = 0
    compiled: list[tuple[str, str]] = field(default_factory=list)  # (path, rule id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


# --- condition tree -> SQL -------------------------------------------------------------------

def to_sql(node) -> str:
    """One Athena condition for a pySigma (post-processed) condition tree."""
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
        ConditionValueExpression,
    )

    if isinstance(node, ConditionAND | ConditionOR):
        joiner = " and " if isinstance(node, ConditionAND) else " or "
        return "(" + joiner.join(to_sql(a) for a in node.args) + ")"
    if isinstance(node, ConditionNOT):
        return f"not coalesce({to_sql(node.args[0])}, false)"
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return field_condition(node.field, node.value)
    if isinstance(node, ConditionValueExpression):
        raise Unsupported("keyword (full-text) search has no column to search")
    raise Unsupported(f"condition element {type(node).__name__}")


def column(sigma_field: str) -> str:
    """The SQL expression of a CloudTrail record field named as in Sigma."""
    if sigma_field in FIELDS:
        return FIELDS[sigma_field]
    head, _, rest = sigma_field.partition(".")
    if head in JSON_FIELDS:
        if not rest:
            return JSON_FIELDS[head]
        path = "$" + "".join(f"[\"{p}\"]" if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p)
                             else f".{p}" for p in rest.split("."))
        if "'" in path:
            raise Unsupported(f"field {sigma_field!r} has a quote in its name")
        # scalars as text; objects and arrays as their JSON text (so |contains works on them)
        return (f"coalesce(json_extract_scalar({JSON_FIELDS[head]}, '{path}'), "
                f"json_format(json_extract({JSON_FIELDS[head]}, '{path}')))")
    raise Unsupported(f"field {sigma_field!r} has no events column")


def field_condition(sigma_field: str, value) -> str:
    from sigma.types import (
        SigmaBool,
        SigmaFieldReference,
        SigmaNull,
        SigmaNumber,
        SigmaRegularExpression,
        SigmaRegularExpressionFlag,
        SigmaString,
    )

    col = column(sigma_field)
    if isinstance(value, SigmaNull):
        return f"{col} is null"
    if isinstance(value, SigmaBool | SigmaNumber):
        text = str(value.boolean).lower() if isinstance(value, SigmaBool) else str(value.number)
        return f"{col} = {text}" if sigma_field in BOOLEAN_FIELDS else f"{col} = {literal(text)}"
    if isinstance(value, SigmaRegularExpression):
        flags = "(?i)" if SigmaRegularExpressionFlag.IGNORECASE in value.flags else ""
        return f"regexp_like({col}, {literal(flags + str(value.regexp))})"
    if isinstance(value, SigmaFieldReference):
        return f"{col} = {column(value.field)}"
    if isinstance(value, SigmaString):
        if sigma_field in BOOLEAN_FIELDS:
            return f"{col} = {str(value).lower()}" if str(value).lower() in ("true", "false") \
                else _unsupported_value(sigma_field, value)
        if not value.contains_special():
            return f"{col} = {literal(str(value))}"
        return f"lower({col}) like {literal(like_pattern(value).lower())} escape '\\'"
    return _unsupported_value(sigma_field, value)


def _unsupported_value(sigma_field: str, value) -> str:
    raise Unsupported(f"value {type(value).__name__} of field {sigma_field!r}")


def like_pattern(value) -> str:
    from sigma.types import SpecialChars

    parts = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            parts.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append("_")
        elif isinstance(part, str):
            parts.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:
            raise Unsupported(f"placeholder {part!r} in a value")
    return "".join(parts)


def literal(text: str) -> str:
    """A SQL string literal (quotes doubled): Sigma values are rule text, not analyst input."""
    return "'" + text.replace("'", "''") + "'"


def condition_fields(node) -> set[str]:
    """Every field a condition tree names."""
    if hasattr(node, "field") and node.field:
        return {node.field}
    return {f for arg in getattr(node, "args", []) or [] for f in condition_fields(arg)}


# --- test records from the rule's own selections -------------------------------------------

def positive_record(node) -> dict:
    """A CloudTrail record satisfying the condition: each AND branch, the first OR branch,
    fields under a NOT left out (Sigma's not is true for an absent field)."""
    record = {**copy.deepcopy(DEFAULT_RECORD), "eventSource": "sts.amazonaws.com",
              "eventName": "GetCallerIdentity"}
    _satisfy(node, record, set())
    return record


def _satisfy(node, record: dict, assigned: set[str]) -> None:
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
    )

    if isinstance(node, ConditionAND):
        for arg in node.args:
            _satisfy(arg, record, assigned)
    elif isinstance(node, ConditionOR):
        _satisfy(node.args[0], record, assigned)
    elif isinstance(node, ConditionNOT):
        return
    elif isinstance(node, ConditionFieldEqualsValueExpression):
        value, before = sample_value(node.field, node.value, record), _get(record, node.field)
        if node.field in assigned and isinstance(before, str) and isinstance(value, str):
            value = f"{before} {value}"  # |contains|all: one value holding every part
        assigned.add(node.field)
        _set(record, node.field, value)


def sample_value(sigma_field: str, value, record: dict) -> Any:
    from sigma.types import (
        SigmaBool,
        SigmaFieldReference,
        SigmaNull,
        SigmaNumber,
        SigmaRegularExpression,
        SigmaString,
        SpecialChars,
    )

    if isinstance(value, SigmaNull):
        return None
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaFieldReference):
        return _get(record, value.field) or "trailwatch-same-value"
    if isinstance(value, SigmaRegularExpression):
        return regex_sample(str(value.regexp))
    if isinstance(value, SigmaString):
        text = "".join("" if p == SpecialChars.WILDCARD_MULTI else "x" if p == SpecialChars.WILDCARD_SINGLE
                       else p for p in value.s)
        if sigma_field in BOOLEAN_FIELDS:
            return text.lower() == "true"
        return text
    raise Unsupported(f"cannot build a test value for {type(value).__name__}")


def regex_sample(pattern: str) -> str:
    """A string the (simple) regular expression matches, or ``Unsupported``."""
    sample = pattern.strip("^$")
    for token, repl in ((".+", "x"), (".*", ""), ("\\d+", "1"), ("\\d", "1"), ("\\.", "."),
                        ("\\-", "-"), ("\\/", "/")):
        sample = sample.replace(token, repl)
    if not re.search(pattern, sample):
        raise Unsupported(f"cannot build a test value matching /{pattern}/")
    return sample


def _set(record: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = record
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[leaf] = value


def _get(record: dict, dotted: str) -> Any:
    node: Any = record
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


# --- Sigma rule -> trailwatch rule ----------------------------------------------------------

def rule_id(path: Path) -> str:
    return "sigma-" + re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:70]


def attack_tags(sigma_rule) -> tuple[str, str, list[str]]:
    """(tactic, technique, all tags): the first tactic and first known technique of its tags."""
    tags = [f"{t.namespace}.{t.name}" for t in sigma_rule.tags]
    if not any(re.fullmatch(r"t\d{4}(\.\d{3})?", t.name) for t in sigma_rule.tags):
        fallback = TECHNIQUE_FALLBACK.get(str(sigma_rule.id))
        tags_with = [*tags, f"attack.{fallback.lower()}"] if fallback else tags
        return _pick(sigma_rule, tags_with, TACTICS, TECHNIQUES)
    return _pick(sigma_rule, tags, TACTICS, TECHNIQUES)


def _pick(sigma_rule, tags: list[str], tactics_known: dict, techniques_known: dict):
    names = [t.split(".", 1)[1] for t in tags if t.startswith("attack.")]
    tactics = [TACTIC_ALIASES.get(n, n) for n in names]
    tactic = next((t for t in tactics if t in tactics_known), None)
    techniques = [n.upper() for n in names if re.fullmatch(r"t\d{4}(\.\d{3})?", n)]
    technique = next((t for t in techniques if t in techniques_known), None)
    if tactic is None:
        raise Unsupported(f"no ATT&CK tactic among tags {tags}")
    if technique is None:
        raise Unsupported(f"no known ATT&CK technique among tags {tags} "
                          "(add it to toolkit/detections/attack.py)")
    return tactic, technique, [t for t in tags if t in {f"{x.namespace}.{x.name}" for x in sigma_rule.tags}]


def to_rule(sigma_rule, path: Path) -> dict:
    """The trailwatch rule mapping for one parsed Sigma rule (raises ``Unsupported``)."""
    logsource = sigma_rule.logsource
    if (logsource.product, logsource.service) != ("aws", "cloudtrail"):
        raise Unsupported(f"logsource {logsource.product}/{logsource.service} is not aws/cloudtrail")
    if len(sigma_rule.detection.parsed_condition) != 1:
        raise Unsupported("more than one condition")
    tree = sigma_rule.detection.parsed_condition[0].parsed
    tactic, technique, tags = attack_tags(sigma_rule)
    level = str(sigma_rule.level.name).lower() if sigma_rule.level else "medium"
    positive = positive_record(tree)
    refs = [str(r) for r in sigma_rule.references] or [f"https://github.com/SigmaHQ/sigma ({path.name})"]
    return {
        "name": rule_id(path),
        "title": sigma_rule.title,
        "description": (sigma_rule.description or sigma_rule.title).strip()
        + f"\nImported from Sigma rule {sigma_rule.id} by {sigma_rule.author} ({SIGMA_SOURCE}).",
        "severity": level if level != "informational" else "informational",
        "tactic": tactic, "technique": technique, "references": refs, "outcome": "any",
        "logic": {"filter": to_sql(tree)},
        # selecting on who acted but on no API call, source, agent or error: a hunting query
        **({"hunting": True} if all(f.startswith("userIdentity.") for f in condition_fields(tree)) else {}),
        "suppress": {"service_principals": False},
        "sigma": {k: v for k, v in {
            "id": str(sigma_rule.id), "title": sigma_rule.title, "author": sigma_rule.author,
            "level": level, "status": str(sigma_rule.status.name).lower() if sigma_rule.status else None,
            "date": str(sigma_rule.date) if sigma_rule.date else None,
            "modified": str(sigma_rule.modified) if sigma_rule.modified else None,
            "tags": tags, "references": list(refs),
            "falsepositives": list(sigma_rule.falsepositives or []),
            "license": "DRL-1.1", "source": f"{SIGMA_SOURCE}, {path.name}"}.items() if v},
        "tests": {"positive": [positive], "negative": [dict(NEGATIVE_BASE)]},
    }


def sigma_files(paths: list[str]) -> list[Path]:
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml"))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no Sigma rule file or folder at {path}")
    return [f for f in files if not f.name.startswith("LICENSE")]


def import_sigma(paths: list[str], out_dir: str | Path) -> ImportReport:
    """Compile every Sigma file under ``paths``; write the rules that compile and pass their
    tests to ``out_dir/<tactic>/<id>.yml`` (existing files of the same id are replaced)."""
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    report, candidates = ImportReport(), []
    for path in sigma_files(paths):
        report.total += 1
        try:
            candidates.append((path, to_rule(SigmaRule.from_yaml(path.read_text()), path)))
        except (Unsupported, SigmaError) as exc:
            report.skipped.append((str(path), str(exc).splitlines()[0]))
    for path, data, problem in _check(candidates):
        if problem:
            report.skipped.append((str(path), problem))
            continue
        write_rule_file(Path(out_dir), data)
        report.compiled.append((str(path), data["name"]))
    return report


def _check(candidates: list[tuple[Path, dict]]) -> list[tuple[Path, dict, str | None]]:
    """Validate each candidate and run its inline tests (all in one DuckDB session)."""
    checked, valid = [], []
    for path, data in candidates:
        errors = validate_rule(data)
        checked.append((path, data, "; ".join(errors) if errors else None))
        if not errors:
            valid.append(build_rule(data, path))
    results = {r.rule_id: r for r in run_rule_tests(valid)} if valid else {}
    out = []
    for path, data, problem in checked:
        result = results.get(data["name"])
        if problem is None and result is not None and not result.passed:
            problem = "its tests built from its selections fail: " + "; ".join(result.problems)
        out.append((path, data, problem))
    return out


def write_rule_file(out_dir: Path, data: dict) -> Path:
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # noqa: ARG002 - every value written out in full
            return True

    def text(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    path = out_dir / data["tactic"] / f"{data['name']}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# {data['title']}\n# Imported by `trailwatch rules import-sigma` from SigmaHQ, "
              f"{data['sigma']['source']}; author: {data['sigma']['author']}.\n")
    path.write_text(header + yaml.dump(data, Dumper=Dumper, sort_keys=False, width=100,
                                       allow_unicode=True))
    return path
