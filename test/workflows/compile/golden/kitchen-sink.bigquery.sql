WITH
`__bf_1_query` AS (
  SELECT `__bf_source`.`order_id` AS `order_id`,
    `__bf_source`.`line_no` AS `line_no`,
    `__bf_source`.`sku` AS `sku`,
    `__bf_source`.`qty` AS `qty`,
    CAST(`__bf_source`.`amount` AS FLOAT64) AS `amount`,
    `__bf_source`.`ordered_at` AS `ordered_at`
  FROM (
    SELECT * FROM `analytics`.`order lines`
  ) AS `__bf_source`
),
`__bf_2_filter` AS (
  SELECT `order_id`, `line_no`, `sku`, `qty`, `amount`, `ordered_at`
  FROM `__bf_1_query`
  WHERE (((`amount` BETWEEN CAST(10 AS FLOAT64) AND CAST('99.5' AS FLOAT64)) AND STARTS_WITH(`sku`, 'SKU-')) OR ((`ordered_at` >= DATETIME '2024-01-01 00:00:00') AND ((STRPOS(LOWER(`sku`), 'gift') > 0) OR (MOD(`qty`, NULLIF(2, 0)) = 0))))
),
`__bf_3_transform` AS (
  SELECT `order_id`,
    `line_no`,
    `sku`,
    `qty`,
    `amount`,
    `ordered_at`,
    DATETIME_TRUNC(`ordered_at`, MONTH) AS `month`,
    DATE_ADD(CAST(`ordered_at` AS DATE), INTERVAL (1) MONTH) AS `due`,
    CAST(ROUND(CAST(CAST((`amount` / NULLIF(CAST(`qty` AS FLOAT64), 0)) AS STRING) AS BIGNUMERIC), 2, 'ROUND_HALF_AWAY_FROM_ZERO') AS FLOAT64) AS `unit_price`,
    DIV(`qty`, NULLIF(2, 0)) AS `half`,
    CONCAT(COALESCE(`sku`, ''), ' × ', COALESCE(CAST(`qty` AS STRING), ''), ' @ ', COALESCE(RTRIM(RTRIM(FORMAT('%.10f', ROUND(CAST(CAST(CAST(ROUND(CAST(CAST((`amount` / NULLIF(CAST(`qty` AS FLOAT64), 0)) AS STRING) AS BIGNUMERIC), 2, 'ROUND_HALF_AWAY_FROM_ZERO') AS FLOAT64) AS STRING) AS BIGNUMERIC), 10, 'ROUND_HALF_AWAY_FROM_ZERO')), '0'), '.'), '')) AS `label`,
    ((`amount` >= CAST('50' AS FLOAT64)) AND (NOT (`sku` IS NULL))) AS `is_big`,
    CAST(`qty` AS STRING) AS `qty_text`,
    (CASE WHEN ((EXTRACT(YEAR FROM DATETIME '2025-01-31 00:00:00') * 12 + EXTRACT(MONTH FROM DATETIME '2025-01-31 00:00:00')) - (EXTRACT(YEAR FROM `ordered_at`) * 12 + EXTRACT(MONTH FROM `ordered_at`))) > 0 AND (EXTRACT(DAY FROM DATETIME '2025-01-31 00:00:00') * 86400000000 + DATETIME_DIFF(DATETIME '2025-01-31 00:00:00', DATETIME_TRUNC(DATETIME '2025-01-31 00:00:00', DAY), MICROSECOND)) < (EXTRACT(DAY FROM `ordered_at`) * 86400000000 + DATETIME_DIFF(`ordered_at`, DATETIME_TRUNC(`ordered_at`, DAY), MICROSECOND)) THEN ((EXTRACT(YEAR FROM DATETIME '2025-01-31 00:00:00') * 12 + EXTRACT(MONTH FROM DATETIME '2025-01-31 00:00:00')) - (EXTRACT(YEAR FROM `ordered_at`) * 12 + EXTRACT(MONTH FROM `ordered_at`))) - 1 WHEN ((EXTRACT(YEAR FROM DATETIME '2025-01-31 00:00:00') * 12 + EXTRACT(MONTH FROM DATETIME '2025-01-31 00:00:00')) - (EXTRACT(YEAR FROM `ordered_at`) * 12 + EXTRACT(MONTH FROM `ordered_at`))) < 0 AND (EXTRACT(DAY FROM DATETIME '2025-01-31 00:00:00') * 86400000000 + DATETIME_DIFF(DATETIME '2025-01-31 00:00:00', DATETIME_TRUNC(DATETIME '2025-01-31 00:00:00', DAY), MICROSECOND)) > (EXTRACT(DAY FROM `ordered_at`) * 86400000000 + DATETIME_DIFF(`ordered_at`, DATETIME_TRUNC(`ordered_at`, DAY), MICROSECOND)) THEN ((EXTRACT(YEAR FROM DATETIME '2025-01-31 00:00:00') * 12 + EXTRACT(MONTH FROM DATETIME '2025-01-31 00:00:00')) - (EXTRACT(YEAR FROM `ordered_at`) * 12 + EXTRACT(MONTH FROM `ordered_at`))) + 1 ELSE ((EXTRACT(YEAR FROM DATETIME '2025-01-31 00:00:00') * 12 + EXTRACT(MONTH FROM DATETIME '2025-01-31 00:00:00')) - (EXTRACT(YEAR FROM `ordered_at`) * 12 + EXTRACT(MONTH FROM `ordered_at`))) END) AS `age_months`
  FROM `__bf_2_filter`
),
`__bf_4_map` AS (
  SELECT (CASE WHEN ((CAST(`order_id` AS STRING) IS NULL) OR (CAST(`line_no` AS STRING) IS NULL)) THEN CAST(NULL AS STRING) ELSE CONCAT(COALESCE(CAST(LENGTH(CAST(`order_id` AS STRING)) AS STRING), ''), ':', COALESCE(CAST(`order_id` AS STRING), ''), ',', COALESCE(CAST(LENGTH(CAST(`line_no` AS STRING)) AS STRING), ''), ':', COALESCE(CAST(`line_no` AS STRING), '')) END) AS `__bf_record_key`,
    CONCAT(COALESCE(CAST(`order_id` AS STRING), ''), '-', COALESCE(CAST(`line_no` AS STRING), '')) AS `external_id`,
    `unit_price` AS `amount`,
    (CASE WHEN REGEXP_CONTAINS(`qty_text`, '^ *[-+]?[0-9]{1,15} *$') THEN CAST(TRIM(`qty_text`, ' ') AS INT64) END) AS `quantity`,
    `is_big` AS `big`,
    CAST(`month` AS DATE) AS `month`,
    CAST(`due` AS DATETIME) AS `due`,
    'backflow\'s sync' AS `source`,
    PARSE_JSON('{"origin":"warehouse","tags":["a","b"]}') AS `meta`,
    ARRAY<STRING>['vip', 'q1'] AS `tags`,
    CAST(`age_months` AS STRING) AS `age`
  FROM `__bf_3_transform`
)
SELECT `__bf_record_key`, `external_id`, `amount`, `quantity`, `big`, `month`, `due`, `source`, `meta`, `tags`, `age`
FROM `__bf_4_map`