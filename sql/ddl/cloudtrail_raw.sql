-- cloudtrail_raw: the raw CloudTrail deliveries exactly as AWS writes them to S3, one row per
-- delivery file: `line` is the file's whole JSON text ({"Records": [...]}, gzip is read
-- transparently). Read by sql/models/events_from_raw.sql; keeping the text whole (instead of the
-- CloudTrail SerDe's fixed columns) is what lets that model keep unknown fields in `extra`.
-- Delivery files are single-line JSON; \001 (the field delimiter) never occurs in JSON text.
--
-- Partition projection (no MSCK / ALTER TABLE ADD PARTITION loops):
--   day     delivery date folder yyyy/MM/dd, from 2013/11/01 up to NOW (one partition per day)
--   region  every commercial region CloudTrail delivers from (enum)
--   account injected: every query names its accounts (`where account in ('111122223333', ...)`),
--           which scales to any number of accounts; Athena refuses queries without it.
-- Organization trails write AWSLogs/o-<org-id>/<account>/CloudTrail/...: inject the account as
-- 'o-<org-id>/<account>' (the template places it verbatim), or deploy a copy of this table with
-- {{ raw }} ending in /o-<org-id> under a new AWSLogs prefix. Past a few dozen accounts prefer
-- the curated `events` table (Parquet, dt partitions) for analysis: it is what the ingest builds.
-- For a fixed small set of accounts, `'projection.account.type' = 'enum'` with
-- `'projection.account.values' = '<id>,<id>'` also works and lets queries omit the account.
create external table if not exists {{ database }}.cloudtrail_raw (
  line string
)
partitioned by (account string, region string, day string)
row format delimited fields terminated by '\001'
stored as inputformat 'org.apache.hadoop.mapred.TextInputFormat'
outputformat 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
location '{{ raw }}/AWSLogs/'
tblproperties (
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy/MM/dd',
  'projection.day.range' = '2013/11/01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'projection.region.type' = 'enum',
  'projection.region.values' = 'us-east-1,us-east-2,us-west-1,us-west-2,af-south-1,ap-east-1,ap-east-2,ap-south-1,ap-south-2,ap-southeast-1,ap-southeast-2,ap-southeast-3,ap-southeast-4,ap-southeast-5,ap-southeast-7,ap-northeast-1,ap-northeast-2,ap-northeast-3,ca-central-1,ca-west-1,eu-central-1,eu-central-2,eu-west-1,eu-west-2,eu-west-3,eu-south-1,eu-south-2,eu-north-1,il-central-1,me-central-1,me-south-1,mx-central-1,sa-east-1',
  'projection.account.type' = 'injected',
  'storage.location.template' = '{{ raw }}/AWSLogs/${account}/CloudTrail/${region}/${day}/'
)
