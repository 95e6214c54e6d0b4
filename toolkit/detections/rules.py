"""Detection rules as data: load YAML rule files, validate them, expand their test events.

A rule file lives at ``rules/<tactic>/<name>.yml`` and holds metadata (``name`` and
``description`` as every SQL-bearing YAML file has them, checked by ``toolkit.sql.meta``; title,
severity, MITRE ATT&CK tactic and technique, references), its ``outcome`` clause (which call
outcomes match, see ``OUTCOME_CLAUSES``), its logic (exactly one of ``filter``, ``aggregate``,
``first_seen`` or ``sequence``, see ``toolkit.detections.sql`` and ``.sequence``), optional
``details`` (named SQL expressions reported with each finding), ``suppress`` (AWS service
principals, allow-listed principal ARN patterns), ``stratus`` (the Stratus Red Team techniques
it detects), ``sigma`` (attribution of a rule imported from Sigma) and inline ``tests``
(``context``, ``positive``, ``negative`` CloudTrail records; fields a record leaves out come
from ``DEFAULT_RECORD``). Validation collects every problem of every file so one run shows them.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.detections.attack import TACTICS, TECHNIQUES
from toolkit.detections.sql import KEY_COLUMNS, OUTCOME_CLAUSES, SqlError, compile_rule
from toolkit.sql import meta as shared_meta
from toolkit.sql.files import read_yaml

SEVERITIES = ("informational", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
RULES_DIR = Path(__file__).with_name("rules")

ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{2,80}$")
DETAIL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# Allow-listed principals are ARN patterns with ``*`` wildcards; nothing that could end a SQL
# string literal gets through.
PRINCIPAL_PATTERN_RE = re.compile(r"^arn:aws[a-z-]*:[A-Za-z0-9:/_+=,.@*-]+$")
GROUP_COLUMNS = (*KEY_COLUMNS, "session_key", "principal")
LOGIC_KINDS = ("filter", "aggregate", "first_seen", "sequence")
TOP_LEVEL_KEYS = {"name", "title", "description", "severity", "tactic", "technique", "references",
                  "outcome", "attempted_severity", "logic", "details", "suppress", "stratus",
                  "sigma", "hunting", "tests"}
STRATUS_RE = re.compile(r"^aws\.[a-z-]+\.[a-z0-9-]+$")
# Fields an inline test record may leave out: an IAM user's CLI call, 2025-03-04 10:00 UTC.
DEFAULT_RECORD = {
    "eventVersion": "1.09",
    "userIdentity": {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE",
                     "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333",
                     "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "alice"},
    "eventTime": "2025-03-04T10:00:00Z",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.10",
    "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023",
    "requestParameters": None,
    "responseElements": None,
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "111122223333",
    "eventCategory": "Management",
}


class RuleError(ValueError):
    """One or more rule files are invalid; the message lists every problem."""


@dataclass(frozen=True)
class Rule:
    """A validated detection rule."""

    id: str
    title: str
    description: str
    severity: str
    tactic: str
    technique: str
    references: tuple[str, ...]
    kind: str  # filter | aggregate | first_seen | sequence
    logic: dict[str, Any]
    outcome: str = "any"
    attempted_severity: str | None = None
    details: dict[str, str] = field(default_factory=dict)
    suppress_service_principals: bool = True
    allow_principals: tuple[str, ...] = ()
    stratus: tuple[str, ...] = ()
    sigma: dict[str, Any] | None = None
    hunting: bool = False  # a hunting query: tested, listed, run by `detect --hunting` only
    tests: dict[str, list[dict]] = field(default_factory=dict)
    path: str = ""

    @property
    def source(self) -> str:
        """native | sequence | sigma: where the rule comes from (``rules list --source``)."""
        return "sigma" if self.sigma else ("sequence" if self.kind == "sequence" else "native")

    @property
    def severity_if_attempted(self) -> str:
        """The severity of a finding none of whose calls succeeded (``outcome: any`` rules)."""
        if self.attempted_severity:
            return self.attempted_severity
        return SEVERITIES[max(0, SEVERITY_RANK[self.severity] - 1)]

    @property
    def tactic_id(self) -> str:
        return TACTICS[self.tactic]

    @property
    def technique_name(self) -> str:
        return TECHNIQUES[self.technique]

    @property
    def filter(self) -> str:
        if self.kind == "sequence":
            return " or ".join(f"({step['filter']})" for step in self.logic["sequence"]["steps"])
        return self.logic["filter"] if self.kind == "filter" else self.logic[self.kind]["filter"]

    def test_records(self, case: str) -> list[dict]:
        """The inline records of one test case (``context``/``positive``/``negative``), expanded
        and completed from ``DEFAULT_RECORD`` (eventIDs unique per rule and case)."""
        return expand_records(self.tests.get(case, []), f"{self.id}/{case}")


def load_rules(rules_dir: str | Path | None = None) -> list[Rule]:
    """Load and validate every ``*.yml`` rule under ``rules_dir`` (default: the packaged library).

    Raises ``RuleError`` listing every problem in every file; ``FileNotFoundError`` when the
    directory does not exist or holds no rule. A file still naming its rule with ``id:`` (the
    old spelling of ``name:``) loads, with a FutureWarning.
    """
    import yaml

    root = Path(rules_dir) if rules_dir else RULES_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"rules directory not found: {root}")
    paths = sorted(root.rglob("*.yml")) + sorted(root.rglob("*.yaml"))
    if not paths:
        raise FileNotFoundError(f"no rule files (*.yml) under {root}")
    rules, problems, seen = [], [], {}
    for path in paths:
        try:
            data = read_yaml(path)
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not valid YAML: {exc}")
            continue
        except ValueError:
            problems.append(f"{path}: a rule file must hold a mapping")
            continue
        errors = validate_rule(data, path=path, root=root)
        if errors:
            problems.extend(f"{path}: {e}" for e in errors)
            continue
        rule = build_rule(shared_meta.with_current_keys(data, path), path)
        if rule.id in seen:
            problems.append(f"{path}: duplicate rule id {rule.id!r} (also in {seen[rule.id]})")
            continue
        seen[rule.id] = path
        rules.append(rule)
    if problems:
        raise RuleError(f"{len(problems)} problem(s) in rule files:\n  " + "\n  ".join(problems))
    return sorted(rules, key=lambda r: r.id)


def build_rule(data: dict, path: Path | str = "") -> Rule:
    """A ``Rule`` from an already validated mapping (``id:``, the old ``name:``, accepted)."""
    data = shared_meta.current_keys(data)
    logic = data["logic"]
    kind = next(k for k in LOGIC_KINDS if k in logic)
    suppress = data.get("suppress") or {}
    return Rule(
        id=data["name"], title=data["title"], description=data["description"].strip(),
        severity=data["severity"], tactic=data["tactic"], technique=data["technique"],
        references=tuple(data.get("references") or ()), kind=kind, logic=logic,
        outcome=data["outcome"], attempted_severity=data.get("attempted_severity"),
        details=dict(data.get("details") or {}),
        suppress_service_principals=bool(suppress.get("service_principals", True)),
        allow_principals=tuple(suppress.get("principals") or ()),
        stratus=tuple(data.get("stratus") or ()), sigma=data.get("sigma"),
        hunting=bool(data.get("hunting", False)),
        tests=dict(data.get("tests") or {}), path=str(path),
    )


def validate_rule(data: Any, path: Path | None = None, root: Path | None = None) -> list[str]:
    """Every problem with one rule mapping (empty list: valid)."""
    if not isinstance(data, dict):
        return ["a rule file must hold a mapping"]
    common = shared_meta.problems(data, path)  # name (= file name), description, params
    data = shared_meta.current_keys(data)
    errors = [f"unknown key {k!r}" for k in data if k not in TOP_LEVEL_KEYS]
    for key in ("name", "title", "severity", "tactic", "technique", "outcome", "logic", "tests"):
        if key not in data:
            errors.append(f"missing required key {key!r}")
    if errors:
        return [e for e in common if e not in errors] + errors
    errors = common + _validate_metadata(data)
    if path is not None and root is not None:
        errors += _validate_location(data, path, root)
    errors += _validate_logic(data["logic"])
    errors += _validate_details(data.get("details") or {})
    errors += _validate_suppress(data.get("suppress") or {})
    errors += _validate_tests(data["tests"])
    if not errors:
        errors += _validate_sql(data)
    return errors


def _validate_metadata(data: dict) -> list[str]:
    errors = []
    if not isinstance(data["name"], str) or not ID_RE.match(data["name"]):
        errors.append(f"name {data['name']!r} must be lowercase letters, digits, '.' and '-'")
    if not isinstance(data["title"], str) or not data["title"].strip():
        errors.append("title must be a non-empty string")
    if data["severity"] not in SEVERITIES:
        errors.append(f"severity {data['severity']!r} must be one of {', '.join(SEVERITIES)}")
    if data["tactic"] not in TACTICS:
        errors.append(f"tactic {data['tactic']!r} must be one of {', '.join(TACTICS)}")
    if data["technique"] not in TECHNIQUES:
        errors.append(f"technique {data['technique']!r} is not a known MITRE ATT&CK technique id "
                      "(toolkit/detections/attack.py lists them)")
    refs = data.get("references") or []
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) and r for r in refs):
        errors.append("references must be a non-empty list of strings (AWS docs URLs, CIS ids)")
    if data["outcome"] not in OUTCOME_CLAUSES:
        errors.append(f"outcome {data['outcome']!r} must be one of {', '.join(OUTCOME_CLAUSES)}")
    attempted = data.get("attempted_severity")
    if attempted is not None and (attempted not in SEVERITIES or data["outcome"] != "any"):
        errors.append("attempted_severity must be a severity, and only with outcome: any")
    stratus = data.get("stratus") or []
    if not isinstance(stratus, list) or not all(isinstance(t, str) and STRATUS_RE.match(t)
                                                for t in stratus):
        errors.append("stratus must list Stratus Red Team technique ids (aws.<tactic>.<name>)")
    if not isinstance(data.get("hunting", False), bool):
        errors.append("hunting must be true or false")
    if "sigma" in data and not (isinstance(data["sigma"], dict) and data["sigma"].get("id")):
        errors.append("sigma must be a mapping holding at least the Sigma rule's id")
    return errors


def _validate_location(data: dict, path: Path, root: Path) -> list[str]:
    errors = []
    rel = path.relative_to(root).parts
    if len(rel) >= 2 and rel[-2] != data["tactic"]:
        errors.append(f"rule with tactic {data['tactic']!r} must live in a folder named so")
    return errors


def _validate_logic(logic: Any) -> list[str]:
    if not isinstance(logic, dict) or sum(k in logic for k in LOGIC_KINDS) != 1 or len(logic) != 1:
        return [f"logic must hold exactly one of {', '.join(LOGIC_KINDS)}"]
    if "filter" in logic:
        return [] if _nonempty_str(logic["filter"]) else ["logic.filter must be a SQL condition"]
    if "aggregate" in logic:
        return _validate_aggregate(logic["aggregate"])
    if "sequence" in logic:
        from toolkit.detections.sequence import validate_sequence

        return validate_sequence(logic["sequence"])
    return _validate_first_seen(logic["first_seen"])


def _validate_aggregate(agg: Any) -> list[str]:
    if not isinstance(agg, dict):
        return ["logic.aggregate must be a mapping"]
    allowed = {"filter", "group_by", "window_minutes", "threshold", "count_distinct"}
    errors = [f"logic.aggregate: unknown key {k!r}" for k in agg if k not in allowed]
    if not _nonempty_str(agg.get("filter")):
        errors.append("logic.aggregate.filter must be a SQL condition")
    group_by = agg.get("group_by")
    if not isinstance(group_by, list) or not group_by or not set(group_by) <= set(GROUP_COLUMNS):
        errors.append(f"logic.aggregate.group_by must list some of {', '.join(GROUP_COLUMNS)}")
    if not _positive_int(agg.get("window_minutes")) or agg["window_minutes"] > 1440:
        errors.append("logic.aggregate.window_minutes must be an integer from 1 to 1440")
    elif 1440 % agg["window_minutes"]:
        errors.append("logic.aggregate.window_minutes must divide a day (1440) evenly")
    if not _positive_int(agg.get("threshold")):
        errors.append("logic.aggregate.threshold must be a positive integer")
    if "count_distinct" in agg and not _nonempty_str(agg["count_distinct"]):
        errors.append("logic.aggregate.count_distinct must be a SQL expression")
    return errors


def _validate_first_seen(fs: Any) -> list[str]:
    if not isinstance(fs, dict):
        return ["logic.first_seen must be a mapping"]
    allowed = {"filter", "entity", "attribute", "baseline_days"}
    errors = [f"logic.first_seen: unknown key {k!r}" for k in fs if k not in allowed]
    if not _nonempty_str(fs.get("filter")):
        errors.append("logic.first_seen.filter must be a SQL condition")
    if "entity" in fs and not _nonempty_str(fs["entity"]):
        errors.append("logic.first_seen.entity must be a SQL expression (default principal_arn)")
    if not _nonempty_str(fs.get("attribute")):
        errors.append("logic.first_seen.attribute must be a SQL expression over events")
    if not _positive_int(fs.get("baseline_days")) or fs["baseline_days"] > 90:
        errors.append("logic.first_seen.baseline_days must be an integer from 1 to 90")
    return errors


def _validate_details(details: Any) -> list[str]:
    if not isinstance(details, dict):
        return ["details must map names to SQL expressions"]
    return [f"details: {name!r} must be snake_case with a SQL expression" for name, expr
            in details.items() if not DETAIL_NAME_RE.match(str(name)) or not _nonempty_str(expr)]


def _validate_suppress(suppress: Any) -> list[str]:
    if not isinstance(suppress, dict):
        return ["suppress must be a mapping"]
    errors = [f"suppress: unknown key {k!r}" for k in suppress
              if k not in ("service_principals", "principals")]
    if not isinstance(suppress.get("service_principals", True), bool):
        errors.append("suppress.service_principals must be true or false")
    for pattern in suppress.get("principals") or []:
        if not isinstance(pattern, str) or not PRINCIPAL_PATTERN_RE.match(pattern):
            errors.append(f"suppress.principals: {pattern!r} is not an ARN pattern")
    return errors


def _validate_tests(tests: Any) -> list[str]:
    if not isinstance(tests, dict):
        return ["tests must be a mapping with positive and negative record lists"]
    errors = [f"tests: unknown key {k!r}" for k in tests if k not in ("context", "positive", "negative")]
    for case in ("positive", "negative"):
        if not isinstance(tests.get(case), list) or not tests[case]:
            errors.append(f"tests.{case} must be a non-empty list of CloudTrail records")
    for case in ("context", "positive", "negative"):
        for i, item in enumerate(tests.get(case) or []):
            problem = _record_problem(item)
            if problem:
                errors.append(f"tests.{case}[{i}]: {problem}")
    return errors


def _record_problem(item: Any) -> str | None:
    if isinstance(item, dict) and "repeat" in item:
        if set(item) != {"repeat", "record"} or not _positive_int(item["repeat"]):
            return "a repeat entry needs exactly 'repeat' (positive integer) and 'record'"
        item = item["record"]
    if not isinstance(item, dict):
        return "must be a CloudTrail record mapping"
    missing = [k for k in ("eventSource", "eventName") if k not in item]
    return f"missing CloudTrail fields {missing}" if missing else None


def _validate_sql(data: dict) -> list[str]:
    try:
        compile_rule(build_rule(data))
    except SqlError as exc:
        return [str(exc)]
    return []


def complete_record(record: dict, label: str, index: int) -> dict:
    """``record`` with the fields it leaves out taken from ``DEFAULT_RECORD``; a missing eventID
    or requestID is derived from ``label`` (rule id and case) and ``index`` (UUID-shaped)."""
    if all(k in record for k in (*DEFAULT_RECORD, "eventID", "requestID")):
        return record
    digest = hashlib.sha256(f"{label}/{index}".encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:28]}0000"
    return {**copy.deepcopy(DEFAULT_RECORD), "eventID": uuid,
            "requestID": f"{digest[32:40]}-{digest[40:44]}-4{digest[45:48]}-8{digest[49:52]}-{digest[52:64]}",
            **record}


def expand_records(items: list, label: str = "inline") -> list[dict]:
    """Inline test records completed (``complete_record``), ``{repeat: N, record: {...}}``
    entries expanded.

    Copy ``i`` of a repeated record gets the eventID with its last four hex digits replaced by
    ``i`` (still UUID-shaped) and an eventTime ``i`` seconds later, so bursts are written once.
    """
    records = []
    for n, item in enumerate(items):
        if "repeat" not in item:
            records.append(complete_record(item, label, n))
            continue
        base = complete_record(item["record"], label, n)
        start = dt.datetime.fromisoformat(base["eventTime"].replace("Z", "+00:00"))
        for i in range(item["repeat"]):
            record = copy.deepcopy(base)
            record["eventID"] = f"{base['eventID'][:-4]}{i:04x}"
            record["eventTime"] = (start + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            records.append(record)
    return records


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
