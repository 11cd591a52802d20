-- Example queries against ship_logs (ship_logs.sql). Every query names the
-- day(s) and pins `instance` and `file` (injected partitions: `=` or `IN`).

-- One file of one instance on one day, in file order within each object.
SELECT "$path" AS object, line
FROM ship_logs
WHERE dt = '2024-06-01'
  AND instance = 'i-0123456789abcdef0'
  AND file = 'app.log'
LIMIT 100;

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
