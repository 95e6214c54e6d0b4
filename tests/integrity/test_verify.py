"""Digest signing/verification by AWS's algorithm, and tamper detection on a signed sample."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from toolkit.cli import main
from toolkit.integrity import digest as dg
from toolkit.integrity.verify import verify
from toolkit.sample import generate_account

DAY = "2025-03-03"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("signed")
    generate_account(out, start=DAY, days=1, events_per_day=600, seed=21)
    return out


@pytest.fixture
def sample(pristine, tmp_path) -> Path:
    """A private copy each test may tamper with."""
    shutil.copytree(pristine, tmp_path / "s")
    return tmp_path / "s"


def _keys(out: Path) -> dict:
    return json.loads((out / "public-keys.json").read_text())


def _logs(out: Path) -> list[Path]:
    return sorted((out / "raw").glob("AWSLogs/*/CloudTrail/us-east-1/2025/03/03/*.json.gz"))


def _digests(out: Path) -> list[Path]:
    return sorted((out / "raw").glob("AWSLogs/*/CloudTrail-Digest/us-east-1/2025/03/03/*.json.gz"))


def _kinds(report) -> dict:
    return report.counts()


def test_string_to_sign_is_awss_documented_format():
    doc = {"digestEndTime": "2015-08-17T15:01:31Z", "digestS3Bucket": "bucket",
           "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/x.json.gz",
           "previousDigestSignature": None}
    body = b'{"a":1}'
    expected = ("2015-08-17T15:01:31Z\nbucket/AWSLogs/111122223333/CloudTrail-Digest/x.json.gz\n"
                f"{dg.sha256_hex(body)}\nnull").encode()
    assert dg.string_to_sign(doc, body) == expected
    doc["previousDigestSignature"] = "ab12"
    assert dg.string_to_sign(doc, body).endswith(b"\nab12")


def test_sign_and_verify_with_a_generated_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    doc = {"digestEndTime": "2025-03-03T01:00:00Z", "digestS3Bucket": "b", "digestS3Object": "o",
           "previousDigestSignature": "00ff"}
    signature = dg.sign(doc, b"body", key)
    listed = dg.load_public_keys({"PublicKeyList": [dg.public_key_entry(key.public_key(), "a", "b")]})
    public = listed[dg.fingerprint(key.public_key())]
    assert dg.signature_is_valid(doc, b"body", signature, public)
    assert not dg.signature_is_valid(doc, b"body2", signature, public)
    assert not dg.signature_is_valid(dict(doc, digestEndTime="2025-03-03T02:00:00Z"), b"body", signature, public)
    assert not dg.signature_is_valid(doc, b"body", "zz", public)


def test_public_keys_are_in_list_public_keys_form(pristine):
    doc = _keys(pristine)
    (entry,) = doc["PublicKeyList"]
    assert set(entry) == {"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}
    assert entry["Value"].startswith("MIIBCgKCAQEA")  # base64 DER of a PKCS#1 2048-bit RSA key
    with pytest.raises(ValueError):
        dg.load_public_keys({"keys": []})


def test_sample_verifies_clean(pristine):
    report = verify(pristine / "raw", DAY, DAY, _keys(pristine))
    assert report.ok, report.problems[:5]
    assert report.digests_checked >= 24 * 3 and report.digests_valid == report.digests_checked
    assert report.log_files_checked > 100 and report.log_files_valid == report.log_files_checked


def test_modified_log_file(sample):
    path = _logs(sample)[3]
    doc = json.loads(gzip.decompress(path.read_bytes()))
    doc["Records"][0]["sourceIPAddress"] = "10.9.9.9"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    assert _kinds(report) == {"modified": 1}
    assert report.problems[0]["key"].endswith(path.name)


def test_recompressed_but_identical_log_file_still_valid(sample):
    path = _logs(sample)[2]
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=9))
    assert verify(sample / "raw", DAY, DAY, _keys(sample)).ok  # hashes cover the JSON, not the gzip


def test_deleted_and_unlisted_log_files(sample):
    logs = _logs(sample)
    logs[5].unlink()
    fake = logs[6].with_name(logs[6].name[:-24] + "ZZZZZZZZZZZZZZZZ.json.gz")
    fake.write_bytes(logs[6].read_bytes())
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    assert _kinds(report) == {"deleted": 1, "unlisted": 1}


def test_deleted_digest_breaks_the_chain(sample):
    victim = _digests(sample)[10]
    victim.unlink()
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    kinds = _kinds(report)
    assert kinds.get("digest_missing") == 1
    assert kinds.get("unlisted", 0) >= 0 and not report.ok


def test_edited_digest_fails_signature_and_chain(sample):
    path = _digests(sample)[8]
    doc = json.loads(gzip.decompress(path.read_bytes()))
    doc["logFiles"] = doc["logFiles"][1:]  # hide a log file from validation
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    kinds = _kinds(verify(sample / "raw", DAY, DAY, _keys(sample)))
    assert kinds.get("bad_signature") == 1
    assert kinds.get("chain_broken") == 1        # the next digest recorded the old hash


def test_wrong_public_key(sample):
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = {"PublicKeyList": [dg.public_key_entry(other.public_key(), "a", "b")]}
    report = verify(sample / "raw", DAY, DAY, keys)
    assert report.digests_valid == 0 and "unknown_public_key" in _kinds(report)


def test_chain_supplies_signatures_when_metadata_is_lost(sample):
    meta = sample / "raw" / "_s3_object_metadata"
    chained = sorted(meta.rglob("*CloudTrail-Digest/us-east-1/2025/03/03/*.json"))[:5]
    for path in chained:
        path.unlink()
    assert verify(sample / "raw", DAY, DAY, _keys(sample)).ok


def test_cli_exit_codes_and_json(sample, capsys):
    args = ["verify", "--raw", str(sample / "raw"), "--start", DAY, "--end", DAY,
            "--public-keys", str(sample / "public-keys.json")]
    assert main(args) == 0
    assert "OK: no problems found" in capsys.readouterr().out
    _logs(sample)[0].unlink()
    assert main(args + ["--format", "json"]) == 5  # toolkit.errors.EXIT_INTEGRITY
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["problem_counts"] == {"deleted": 1}
    assert main(["verify", "--raw", str(sample / "nowhere"), "--start", DAY, "--end", DAY,
                 "--public-keys", str(sample / "public-keys.json")]) == 2


def test_verify_on_s3_with_object_metadata(tmp_path, moto_reset):
    import boto3

    small = tmp_path / "small"
    generate_account(small, start=DAY, days=1, events_per_day=80, seed=22)
    s3 = boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1")
    s3.create_bucket(Bucket="trail-bucket")
    raw = small / "raw"
    for path in raw.glob("AWSLogs/*/CloudTrail*/us-west-2/**/*.json.gz"):  # one region keeps it quick
        key = path.relative_to(raw).as_posix()
        extra = {}
        if "/CloudTrail-Digest/" in key:  # the signature lives in S3 user metadata, as on AWS
            meta = json.loads((raw / "_s3_object_metadata" / (key + ".json")).read_text())
            extra = {"Metadata": meta}
        s3.put_object(Bucket="trail-bucket", Key=key, Body=path.read_bytes(), **extra)
    report = verify("s3://trail-bucket", DAY, DAY, _keys(small), endpoint_url=moto_reset)
    assert report.ok, report.problems[:3]
    assert report.digests_valid >= 24 and report.log_files_valid > 5
    victim = next(k["Key"] for k in s3.list_objects_v2(Bucket="trail-bucket", Prefix="AWSLogs")["Contents"]
                  if "/CloudTrail/" in k["Key"] and "/2025/03/03/" in k["Key"])
    s3.delete_object(Bucket="trail-bucket", Key=victim)
    report = verify("s3://trail-bucket", DAY, DAY, _keys(small), endpoint_url=moto_reset)
    assert report.counts() == {"deleted": 1}


# AWS: "CloudTrail log file integrity validation" and "CloudTrail digest file structure"
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
# (seen 2026-11-29): each hourly digest lists the log files delivered in its hour with the
# SHA-256 of their uncompressed content, and is signed over a string that includes its own hash.


def test_file_not_named_as_aws_names_log_files_is_unlisted(sample):
    src = _logs(sample)[4]
    src.with_name(src.name.replace(".json.gz", "_INJECT.json.gz")).write_bytes(src.read_bytes())
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    assert _kinds(report) == {"unlisted": 1}
    assert report.problems[0]["key"].endswith("_INJECT.json.gz")


def test_chain_that_stops_before_the_end_of_the_range(sample):
    digests = sorted((sample / "raw").glob("AWSLogs/*/CloudTrail-Digest/us-east-1/*/*/*/*.json.gz"))
    account_digests = [d for d in digests if d.name.startswith(digests[0].name[:12])]
    newest = sorted(account_digests, key=lambda p: p.name)[-4:]  # the name ends with its end time
    for victim in newest:
        doc = json.loads(gzip.decompress(victim.read_bytes()))
        for entry in doc["logFiles"]:  # the attacker removes the logs these digests list too
            (sample / "raw" / entry["s3Object"][entry["s3Object"].find("AWSLogs/"):]).unlink()
        victim.unlink()
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    assert _kinds(report) == {"chain_ends_early": 1}
    assert "missing after it" in report.problems[0]["detail"]


def test_log_edited_together_with_its_digest_entry_is_named(sample):
    path = _logs(sample)[7]
    key = path.relative_to(sample / "raw").as_posix()
    body = json.loads(gzip.decompress(path.read_bytes()))
    body["Records"][0]["eventName"] = "Harmless"
    edited = json.dumps(body).encode()
    path.write_bytes(gzip.compress(edited))
    for d in _digests(sample):
        doc = json.loads(gzip.decompress(d.read_bytes()))
        for entry in doc["logFiles"]:
            if entry["s3Object"].endswith(key):
                entry["hashValue"] = dg.sha256_hex(edited)  # the digest entry rewritten to match
                d.write_bytes(gzip.compress(json.dumps(doc).encode()))
    report = verify(sample / "raw", DAY, DAY, _keys(sample))
    kinds = _kinds(report)
    assert kinds.get("bad_signature") == 1 and not report.ok
    unverified = [p["key"] for p in report.problems if p["kind"] == "unverified"]
    assert any(k.endswith(path.name) for k in unverified)
    assert report.log_files_valid < report.log_files_checked
