-- Example queries against ship_logs (ship_logs.sql). Every query names the
-- day(s) and pins `instance` and `file` (injected partitions: `=` or `IN`).

-- One file of one instance on one day, in file order within each object.
-- `file` is the base name only: with --watch '/srv/*/logs/app.log' the
-- app.log of every site is under file=app.log, and this query mixes them.
-- Nothing in the bucket records the directory: the objects of each file
-- are told apart by the source id that starts the key's last segment
-- (<source id>-<start>-<end>.log.gz), as the next query shows.
SELECT "$path" AS object, line
FROM ship_logs
WHERE dt = '2024-06-01'
  AND instance = 'i-0123456789abcdef0'
  AND file = 'app.log'
LIMIT 100;

-- Several files with one base name (one per directory) on one instance and
-- day: one row per source id. Read one of them by adding
--   AND "$path" LIKE '%/file=app.log/0123456789ab-%'
-- to the query above. On the instance, the state file maps the source ids
-- of the files it follows to their paths:
--   jq -r '.files[] | "\(.sourceId) \(.path)"' /var/lib/ship-logs/state.json
SELECT split_part(element_at(split("$path", '/'), -1), '-', 1) AS source_id,
       count(*) AS lines, min("$path") AS first_object
FROM ship_logs
WHERE dt = '2024-06-01'
  AND instance = 'i-0123456789abcdef0'
  AND file = 'app.log'
GROUP BY 1
ORDER BY first_object;

-- Errors across three instances over a week, per instance and day.
SELECT instance, dt, count(*) AS errors
FROM ship_logs
WHERE dt BETWEEN '2024-06-01' AND '2024-06-07'
  AND instance IN ('i-0123456789abcdef0', 'i-0fedcba9876543210', 'i-00aa11bb22cc33dd4')
  AND file = 'app.log'
  AND line LIKE '%"level":50%'
GROUP BY instance, dt
ORDER BY instance, dt;

-- JSON lines (pino, bunyan, …): extract fields at query time.
SELECT json_extract_scalar(line, '$.msg') AS msg, count(*) AS n
FROM ship_logs
WHERE dt = '2024-06-01'
  AND instance = 'i-0123456789abcdef0'
  AND file = 'app.log'
  AND json_extract_scalar(line, '$.level') = '50'
GROUP BY 1
ORDER BY n DESC
LIMIT 20;

-- nginx access lines: 5xx responses per status on one host, two files.
SELECT regexp_extract(line, '" (\d{3}) ', 1) AS status, count(*) AS n
FROM ship_logs
WHERE dt = '2024-06-01'
  AND instance = 'i-0123456789abcdef0'
  AND file IN ('access.log', 'access.log.1')
  AND regexp_like(line, '" 5\d\d ')
GROUP BY 1
ORDER BY n DESC;
