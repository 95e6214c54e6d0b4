"""The one rule for "a log file of this trail", shared by ingest and verify.

AWS key formats (seen 2026-11-29):
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html (log file name format)
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""

from __future__ import annotations

from toolkit.cloudtrail.logfiles import Listing, folder_day, is_aws_log_name

LOG = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/06/111122223333_CloudTrail_us-east-1_20250306T1005Z_AbCdEfGh12345678.json.gz"
DIGEST = ("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/06/"
          "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250306T110000Z.json.gz")


def test_aws_names_and_others():
    assert is_aws_log_name(LOG) and is_aws_log_name("o-abc123/" + LOG.replace("AWSLogs/", "AWSLogs/o-abc123/"))
    assert not is_aws_log_name(LOG.replace("AbCdEfGh12345678", "AbCdEfGh1234567*"))
    assert not is_aws_log_name(LOG.replace("_20250306T1005Z", "_20250306T1005Z_INJECT"))
    assert not is_aws_log_name(LOG.replace("111122223333_CloudTrail", "999999999999_CloudTrail"))
    assert folder_day(LOG).isoformat() == "2025-03-06" and folder_day("AWSLogs/x.json.gz") is None


def test_listing_status_is_listed_unlisted_or_not_yet_known():
    listing = Listing()
    assert listing.status(LOG, "aa") == (None, None)  # no digest covers it yet
    listing.add(DIGEST, {"digestEndTime": "2025-03-06T11:00:00Z", "logFiles": []})
    listed, why = listing.status(LOG, "aa")
    assert listed is False and "no digest lists it" in why  # covered period passed, not listed
    listing.add(DIGEST, {"digestEndTime": "2025-03-06T11:00:00Z",
                         "logFiles": [{"s3Object": "prefix/" + LOG, "hashValue": "aa"}]})
    assert listing.status(LOG, "aa") == (True, None) and listing.digest_of(LOG) == DIGEST
    listed, why = listing.status(LOG, "bb")
    assert listed is False and "differs" in why
    assert listing.status(LOG.replace(".json.gz", "_x.json.gz"), "aa")[0] is False
