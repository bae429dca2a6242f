WITH
`__bf_1_query` AS (
  SELECT `__bf_source`.`order_id` AS `order_id`,
    `__bf_source`.`line_no` AS `line_no`,
    `__bf_source`.`sku` AS `sku`,
    `__bf_source`.`qty` AS `qty`,
    CAST(`__bf_source`.`amount` AS DOUBLE) AS `amount`,
    CAST(`__bf_source`.`ordered_at` AS DATETIME(6)) AS `ordered_at`
  FROM (
    SELECT * FROM `analytics`.`order lines`
  ) AS `__bf_source`
),
`__bf_2_filter` AS (
  SELECT `order_id`, `line_no`, `sku`, `qty`, `amount`, `ordered_at`
  FROM `__bf_1_query`
  WHERE (((`amount` BETWEEN CAST(10 AS DOUBLE) AND 99.5e0) AND (LEFT(CAST(`sku` AS BINARY), LENGTH(CAST('SKU-' AS BINARY))) = CAST('SKU-' AS BINARY))) OR ((`ordered_at` >= TIMESTAMP '2024-01-01 00:00:00') AND ((LOCATE(CAST('gift' AS BINARY), CAST(LOWER(`sku`) AS BINARY)) > 0) OR ((`qty` % NULLIF(2, 0)) = 0))))
),
`__bf_3_transform` AS (
  SELECT `order_id`,
    `line_no`,
    `sku`,
    `qty`,
    `amount`,
    `ordered_at`,
    CAST(DATE_SUB(DATE(`ordered_at`), INTERVAL (DAYOFMONTH(`ordered_at`) - 1) DAY) AS DATETIME(6)) AS `month`,
    CAST(DATE_ADD(CAST(`ordered_at` AS DATE), INTERVAL (1) MONTH) AS DATE) AS `due`,
    CAST(ROUND(CAST(CAST((`amount` / NULLIF(CAST(`qty` AS DOUBLE), 0)) AS CHAR) AS DECIMAL(65, 30)), 2) AS DOUBLE) AS `unit_price`,
    (`qty` DIV NULLIF(2, 0)) AS `half`,
    CONCAT(COALESCE(`sku`, ''), ' × ', COALESCE(CAST(`qty` AS CHAR), ''), ' @ ', COALESCE(TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(ROUND(CAST(CAST(CAST(ROUND(CAST(CAST((`amount` / NULLIF(CAST(`qty` AS DOUBLE), 0)) AS CHAR) AS DECIMAL(65, 30)), 2) AS DOUBLE) AS CHAR) AS DECIMAL(65, 30)), 10) AS CHAR))), '')) AS `label`,
    ((`amount` >= 50e0) AND (NOT (`sku` IS NULL))) AS `is_big`,
    CAST(`qty` AS CHAR) AS `qty_text`,
    (CASE WHEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR(`ordered_at`) * 12 + MONTH(`ordered_at`))) > 0 AND (DAY(TIMESTAMP '2025-01-31 00:00:00') * 86400000000 + (HOUR(TIMESTAMP '2025-01-31 00:00:00') * 3600 + MINUTE(TIMESTAMP '2025-01-31 00:00:00') * 60 + SECOND(TIMESTAMP '2025-01-31 00:00:00')) * 1000000 + MICROSECOND(TIMESTAMP '2025-01-31 00:00:00')) < (DAY(`ordered_at`) * 86400000000 + (HOUR(`ordered_at`) * 3600 + MINUTE(`ordered_at`) * 60 + SECOND(`ordered_at`)) * 1000000 + MICROSECOND(`ordered_at`)) THEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR(`ordered_at`) * 12 + MONTH(`ordered_at`))) - 1 WHEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR(`ordered_at`) * 12 + MONTH(`ordered_at`))) < 0 AND (DAY(TIMESTAMP '2025-01-31 00:00:00') * 86400000000 + (HOUR(TIMESTAMP '2025-01-31 00:00:00') * 3600 + MINUTE(TIMESTAMP '2025-01-31 00:00:00') * 60 + SECOND(TIMESTAMP '2025-01-31 00:00:00')) * 1000000 + MICROSECOND(TIMESTAMP '2025-01-31 00:00:00')) > (DAY(`ordered_at`) * 86400000000 + (HOUR(`ordered_at`) * 3600 + MINUTE(`ordered_at`) * 60 + SECOND(`ordered_at`)) * 1000000 + MICROSECOND(`ordered_at`)) THEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR(`ordered_at`) * 12 + MONTH(`ordered_at`))) + 1 ELSE ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR(`ordered_at`) * 12 + MONTH(`ordered_at`))) END) AS `age_months`
  FROM `__bf_2_filter`
),
`__bf_4_map` AS (
  SELECT (CASE WHEN ((CAST(`order_id` AS CHAR) IS NULL) OR (CAST(`line_no` AS CHAR) IS NULL)) THEN CAST(NULL AS CHAR) ELSE CONCAT(COALESCE(CAST(CHAR_LENGTH(CAST(`order_id` AS CHAR)) AS CHAR), ''), ':', COALESCE(CAST(`order_id` AS CHAR), ''), ',', COALESCE(CAST(CHAR_LENGTH(CAST(`line_no` AS CHAR)) AS CHAR), ''), ':', COALESCE(CAST(`line_no` AS CHAR), '')) END) AS `__bf_record_key`,
    CONCAT(COALESCE(CAST(`order_id` AS CHAR), ''), '-', COALESCE(CAST(`line_no` AS CHAR), '')) AS `external_id`,
    `unit_price` AS `amount`,
    (CASE WHEN (`qty_text` REGEXP '(?-i)^ *[-+]?[0-9]{1,15} *$') THEN CAST(TRIM(`qty_text`) AS SIGNED) END) AS `quantity`,
    `is_big` AS `big`,
    CAST(`month` AS DATE) AS `month`,
    CAST(`due` AS DATETIME(6)) AS `due`,
    'backflow''s sync' AS `source`,
    '{"origin":"warehouse","tags":["a","b"]}' AS `meta`,
    JSON_ARRAY('vip', 'q1') AS `tags`,
    CAST(`age_months` AS CHAR) AS `age`
  FROM `__bf_3_transform`
)
SELECT `__bf_record_key`, `external_id`, `amount`, `quantity`, `big`, `month`, `due`, `source`, `meta`, `tags`, `age`
FROM `__bf_4_map`