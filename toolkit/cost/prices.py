"""The one price table of trailwatch: dated, sourced, used by every cost figure.

Public list prices in USD (Linux on-demand for EC2, standard tiers elsewhere). Each item
carries the date the figure was taken from its source page and the page's URL; nothing else
in the project may hard-code a price. These were transcribed from the AWS pricing pages (and
the Price List API offer files for EC2); refresh them by editing this table -- the tests check
every item keeps an ``as_of`` date and a source URL.

Units: ``per_hour`` (EC2), ``per_100k_events``, ``per_metric_month``, ``per_alarm_metric_month``,
``per_gb``, ``per_gb_month``, ``per_1k_metrics``, ``per_tb_scanned`` (1 TB = 1024^4 bytes,
AWS's billing convention).
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730  # AWS's convention in its pricing calculator


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    as_of: str
    source: str
    note: str = ""


EC2_SOURCE = "https://aws.amazon.com/ec2/pricing/on-demand/"
EC2_OFFER = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/{region}/index.json"
EC2_AS_OF = "2025-06-01"

# Linux, shared tenancy, on-demand, USD per hour.
_EC2_US_EAST_1 = {
    "t2.nano": 0.0058, "t2.micro": 0.0116, "t2.small": 0.023, "t2.medium": 0.0464,
    "t2.large": 0.0928, "t2.xlarge": 0.1856, "t2.2xlarge": 0.3712,
    "t3.nano": 0.0052, "t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416,
    "t3.large": 0.0832, "t3.xlarge": 0.1664, "t3.2xlarge": 0.3328,
    "t3a.nano": 0.0047, "t3a.micro": 0.0094, "t3a.small": 0.0188, "t3a.medium": 0.0376,
    "t3a.large": 0.0752, "t3a.xlarge": 0.1504, "t3a.2xlarge": 0.3008,
    "m5.large": 0.096, "m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.4xlarge": 0.768,
    "m5.8xlarge": 1.536, "m5.12xlarge": 2.304, "m5.16xlarge": 3.072, "m5.24xlarge": 4.608,
    "m6i.large": 0.096, "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384, "m6i.4xlarge": 0.768,
    "m6i.8xlarge": 1.536,
    "m6g.medium": 0.0385, "m6g.large": 0.077, "m6g.xlarge": 0.154, "m6g.2xlarge": 0.308,
    "m6g.4xlarge": 0.616,
    "m7i.large": 0.1008, "m7i.xlarge": 0.2016, "m7i.2xlarge": 0.4032, "m7i.4xlarge": 0.8064,
    "m7g.medium": 0.0408, "m7g.large": 0.0816, "m7g.xlarge": 0.1632, "m7g.2xlarge": 0.3264,
    "c5.large": 0.085, "c5.xlarge": 0.17, "c5.2xlarge": 0.34, "c5.4xlarge": 0.68,
    "c5.9xlarge": 1.53, "c5.18xlarge": 3.06,
    "c6i.large": 0.085, "c6i.xlarge": 0.17, "c6i.2xlarge": 0.34, "c6i.4xlarge": 0.68,
    "c6i.8xlarge": 1.36,
    "c7g.medium": 0.0363, "c7g.large": 0.0725, "c7g.xlarge": 0.145, "c7g.2xlarge": 0.29,
    "r5.large": 0.126, "r5.xlarge": 0.252, "r5.2xlarge": 0.504, "r5.4xlarge": 1.008,
    "r5.8xlarge": 2.016,
    "r6i.large": 0.126, "r6i.xlarge": 0.252, "r6i.2xlarge": 0.504, "r6i.4xlarge": 1.008,
    "r6g.medium": 0.0504, "r6g.large": 0.1008, "r6g.xlarge": 0.2016, "r6g.2xlarge": 0.4032,
}
_EC2_EU_WEST_1 = {
    "t3.nano": 0.0057, "t3.micro": 0.0114, "t3.small": 0.0228, "t3.medium": 0.0456,
    "t3.large": 0.0912, "t3.xlarge": 0.1824, "t3.2xlarge": 0.3648,
    "m5.large": 0.107, "m5.xlarge": 0.214, "m5.2xlarge": 0.428, "m5.4xlarge": 0.856,
    "c5.large": 0.096, "c5.xlarge": 0.192, "c5.2xlarge": 0.384, "c5.4xlarge": 0.768,
    "r5.large": 0.141, "r5.xlarge": 0.282, "r5.2xlarge": 0.564, "r5.4xlarge": 1.128,
}
# us-east-2 and us-west-2 list the same on-demand prices as us-east-1 for these families.
EC2_HOURLY: dict[str, dict[str, float]] = {
    "us-east-1": _EC2_US_EAST_1,
    "us-east-2": _EC2_US_EAST_1,
    "us-west-2": _EC2_US_EAST_1,
    "eu-west-1": _EC2_EU_WEST_1,
}

CLOUDTRAIL = "https://aws.amazon.com/cloudtrail/pricing/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
ATHENA = "https://aws.amazon.com/athena/pricing/"
S3 = "https://aws.amazon.com/s3/pricing/"
AS_OF = "2025-06-01"

PRICES: dict[str, Price] = {
    "cloudtrail.management_first_copy": Price(0.0, "per_100k_events", AS_OF, CLOUDTRAIL,
                                              "first copy of management events in each region is free"),
    "cloudtrail.management_additional_copy": Price(2.00, "per_100k_events", AS_OF, CLOUDTRAIL),
    "cloudtrail.data_events": Price(0.10, "per_100k_events", AS_OF, CLOUDTRAIL),
    "cloudtrail.insights": Price(0.35, "per_100k_events", AS_OF, CLOUDTRAIL,
                                 "per 100,000 events analyzed"),
    "cloudwatch.custom_metrics.tier1": Price(0.30, "per_metric_month", AS_OF, CLOUDWATCH, "first 10,000 metrics"),
    "cloudwatch.custom_metrics.tier2": Price(0.10, "per_metric_month", AS_OF, CLOUDWATCH, "next 240,000 metrics"),
    "cloudwatch.custom_metrics.tier3": Price(0.05, "per_metric_month", AS_OF, CLOUDWATCH, "next 750,000 metrics"),
    "cloudwatch.custom_metrics.tier4": Price(0.02, "per_metric_month", AS_OF, CLOUDWATCH, "over 1,000,000 metrics"),
    "cloudwatch.alarm.standard": Price(0.10, "per_alarm_metric_month", AS_OF, CLOUDWATCH),
    "cloudwatch.alarm.high_resolution": Price(0.30, "per_alarm_metric_month", AS_OF, CLOUDWATCH),
    "cloudwatch.alarm.anomaly_detection": Price(0.30, "per_alarm_metric_month", AS_OF, CLOUDWATCH,
                                                "standard resolution: 3 metrics (value, upper, lower band)"),
    "cloudwatch.logs.ingestion": Price(0.50, "per_gb", AS_OF, CLOUDWATCH, "standard log class"),
    "cloudwatch.logs.storage": Price(0.03, "per_gb_month", AS_OF, CLOUDWATCH, "compressed archive"),
    "cloudwatch.get_metric_data": Price(0.01, "per_1k_metrics", AS_OF, CLOUDWATCH,
                                        "per 1,000 metrics requested"),
    "athena.scan": Price(5.00, "per_tb_scanned", AS_OF, ATHENA,
                         "rounded up to the nearest MB, 10 MB minimum per query"),
    "s3.standard.tier1": Price(0.023, "per_gb_month", AS_OF, S3, "first 50 TB per month"),
    "s3.standard.tier2": Price(0.022, "per_gb_month", AS_OF, S3, "next 450 TB per month"),
    "s3.standard.tier3": Price(0.021, "per_gb_month", AS_OF, S3, "over 500 TB per month"),
    "s3.standard_ia": Price(0.0125, "per_gb_month", AS_OF, S3),
    "s3.glacier_instant": Price(0.004, "per_gb_month", AS_OF, S3),
}

ATHENA_MIN_BYTES = 10 * 1024**2
TB = 1024**4
GB = 1024**3


def price(key: str) -> float:
    """USD of one item of the table; unknown keys are an error naming the known ones."""
    try:
        return PRICES[key].usd
    except KeyError:
        raise ValueError(f"no price {key!r}; known: {', '.join(sorted(PRICES))}") from None


def ec2_hourly(instance_type: str, region: str = "us-east-1") -> float:
    """On-demand Linux USD/hour of an instance type in a region."""
    table = EC2_HOURLY.get(region)
    if table is None:
        raise ValueError(f"no EC2 prices for region {region!r}; priced: {', '.join(sorted(EC2_HOURLY))}")
    if instance_type not in table:
        raise ValueError(f"no EC2 price for {instance_type!r} in {region}")
    return table[instance_type]


def ec2_monthly(instance_type: str, region: str = "us-east-1") -> float:
    return round(ec2_hourly(instance_type, region) * HOURS_PER_MONTH, 4)


def price_rows() -> list[dict]:
    """The whole table as rows (key, usd, unit, as_of, source, note) for reports."""
    rows = [{"key": k, **p.__dict__} for k, p in PRICES.items()]
    for region, table in EC2_HOURLY.items():
        rows += [{"key": f"ec2.{region}.{t}", "usd": usd, "unit": "per_hour", "as_of": EC2_AS_OF,
                  "source": EC2_SOURCE, "note": EC2_OFFER.format(region=region)}
                 for t, usd in table.items()]
    return rows


# ---- estimators (the cost notebook calls these; every figure comes from the table above) ----

def get_metric_data_cost(metrics_requested: int) -> float:
    """GetMetricData: billed per metric requested."""
    return round(metrics_requested / 1000 * price("cloudwatch.get_metric_data"), 6)


def cloudtrail_cost(management_events: int, data_events: int = 0, trail_copies: int = 1,
                    insights_events: int = 0) -> dict[str, float]:
    """Monthly CloudTrail charges: the first trail copy of management events is free."""
    extra_copies = max(0, trail_copies - 1)
    management = management_events * extra_copies / 100_000 * price("cloudtrail.management_additional_copy")
    data = data_events / 100_000 * price("cloudtrail.data_events")
    insights = insights_events / 100_000 * price("cloudtrail.insights")
    return {"management_additional_copies": round(management, 4), "data_events": round(data, 4),
            "insights": round(insights, 4), "total": round(management + data + insights, 4)}


def _tiered(quantity: float, tiers: list[tuple[float, float]]) -> float:
    """Cost of ``quantity`` through (tier size, unit price) tiers; last size may be inf."""
    cost, left = 0.0, quantity
    for size, unit_price in tiers:
        used = min(left, size)
        cost += used * unit_price
        left -= used
        if left <= 0:
            break
    return cost


def custom_metrics_cost(metrics: int) -> float:
    """Monthly cost of ``metrics`` custom metrics through CloudWatch's volume tiers."""
    tiers = [(10_000, price("cloudwatch.custom_metrics.tier1")),
             (240_000, price("cloudwatch.custom_metrics.tier2")),
             (750_000, price("cloudwatch.custom_metrics.tier3")),
             (float("inf"), price("cloudwatch.custom_metrics.tier4"))]
    return round(_tiered(metrics, tiers), 4)


def alarms_cost(standard: int = 0, high_resolution: int = 0, anomaly_detection: int = 0) -> float:
    return round(standard * price("cloudwatch.alarm.standard")
                 + high_resolution * price("cloudwatch.alarm.high_resolution")
                 + anomaly_detection * price("cloudwatch.alarm.anomaly_detection"), 4)


def logs_cost(ingested_gb: float, stored_gb: float = 0.0) -> float:
    return round(ingested_gb * price("cloudwatch.logs.ingestion")
                 + stored_gb * price("cloudwatch.logs.storage"), 4)


def athena_query_cost(bytes_scanned: int) -> float:
    """One Athena query: bytes rounded up to the MB, at least 10 MB, at the per-TB price."""
    mb = 1024**2
    billed = max(ATHENA_MIN_BYTES, -(-int(bytes_scanned) // mb) * mb)
    return billed / TB * price("athena.scan")


def s3_storage_cost(gb_month: float) -> float:
    """Monthly S3 Standard storage through the volume tiers."""
    tiers = [(50 * 1024, price("s3.standard.tier1")), (450 * 1024, price("s3.standard.tier2")),
             (float("inf"), price("s3.standard.tier3"))]
    return round(_tiered(gb_month, tiers), 4)
