-- Athena table over ship-logs objects written with `--key-layout hive --prefix logs/`:
--   s3://BUCKET/logs/dt=YYYY-MM-DD/instance=i-…/file=NAME/<source id>-<start>-<end>.log.gz
-- Replace BUCKET (and logs/ if your --prefix differs) in LOCATION and in
-- storage.location.template. One row per log line, raw, in the column `line`.
--
-- Partition projection computes partition locations from the query itself, so
-- no MSCK REPAIR / ALTER TABLE ADD PARTITION / Glue crawler is ever needed.
-- `instance` and `file` are `injected`: every query must pin them with `=` or
-- `IN (…)` (Athena refuses it otherwise); `dt` is a date range, so
-- `dt = '…'` or `dt BETWEEN '…' AND '…'` reads only those days; set the
-- start of projection.dt.range to the day the fleet started shipping (NOW:
-- up to today, in UTC like the keys).
--
-- The RegexSerDe takes the whole line, whatever it holds: a delimited format
-- would cut lines at its field separator, and (?s) keeps U+0085 or U+2028
-- inside the line (Java's "." stops at them). Athena decompresses objects whose name ends in .gz
-- (--compression gzip, the default); .log objects (--compression none) are
-- read as they are.
CREATE EXTERNAL TABLE IF NOT EXISTS ship_logs (
  `line` string
)
PARTITIONED BY (
  `dt` string,
  `instance` string,
  `file` string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
WITH SERDEPROPERTIES (
  'input.regex' = '(?s)(.*)'
)
STORED AS TEXTFILE
LOCATION 's3://BUCKET/logs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'projection.instance.type' = 'injected',
  'projection.file.type' = 'injected',
  'storage.location.template' = 's3://BUCKET/logs/dt=${dt}/instance=${instance}/file=${file}/'
);
