WITH
"__bf_1_query" AS (
  SELECT "__bf_source"."order_id" AS "order_id",
    "__bf_source"."line_no" AS "line_no",
    "__bf_source"."sku" AS "sku",
    "__bf_source"."qty" AS "qty",
    CAST("__bf_source"."amount" AS DOUBLE) AS "amount",
    CAST(TIMEZONE('UTC', "__bf_source"."ordered_at") AS TIMESTAMP) AS "ordered_at"
  FROM (
    SELECT * FROM "analytics"."order lines"
  ) AS "__bf_source"
),
"__bf_2_filter" AS (
  SELECT "order_id", "line_no", "sku", "qty", "amount", "ordered_at"
  FROM "__bf_1_query"
  WHERE ((("amount" BETWEEN CAST(10 AS DOUBLE) AND CAST('99.5' AS DOUBLE)) AND STARTS_WITH("sku", 'SKU-')) OR (("ordered_at" >= TIMESTAMP '2024-01-01 00:00:00') AND (CONTAINS(LOWER("sku"), 'gift') OR (("qty" % NULLIF(2, 0)) = 0))))
),
"__bf_3_transform" AS (
  SELECT "order_id",
    "line_no",
    "sku",
    "qty",
    "amount",
    "ordered_at",
    (CASE WHEN "ordered_at" IS NULL THEN NULL ELSE CAST(DATE_TRUNC('month', "ordered_at") AS TIMESTAMP) END) AS "month",
    CAST((CAST("ordered_at" AS DATE) + TO_MONTHS(CAST(1 AS INTEGER))) AS DATE) AS "due",
    CAST(CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE), 0)) AS VARCHAR) AS DECIMAL(38, 18)), 2) AS VARCHAR) AS DOUBLE) AS "unit_price",
    ("qty" // NULLIF(2, 0)) AS "half",
    (COALESCE("sku", '') || ' × ' || COALESCE(CAST("qty" AS VARCHAR), '') || ' @ ' || COALESCE(RTRIM(RTRIM(CAST(ROUND(CAST(CAST(CAST(CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE), 0)) AS VARCHAR) AS DECIMAL(38, 18)), 2) AS VARCHAR) AS DOUBLE) AS VARCHAR) AS DECIMAL(38, 18)), 10) AS VARCHAR), '0'), '.'), '')) AS "label",
    (("amount" >= CAST('50' AS DOUBLE)) AND (NOT ("sku" IS NULL))) AS "is_big",
    CAST("qty" AS VARCHAR) AS "qty_text",
    (CASE WHEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) > 0 AND (CAST(DAY(TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 86400000000 + (EPOCH_US(TIMESTAMP '2025-01-31 00:00:00') - EPOCH_US(DATE_TRUNC('day', TIMESTAMP '2025-01-31 00:00:00')))) < (CAST(DAY("ordered_at") AS BIGINT) * 86400000000 + (EPOCH_US("ordered_at") - EPOCH_US(DATE_TRUNC('day', "ordered_at")))) THEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) - 1 WHEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) < 0 AND (CAST(DAY(TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 86400000000 + (EPOCH_US(TIMESTAMP '2025-01-31 00:00:00') - EPOCH_US(DATE_TRUNC('day', TIMESTAMP '2025-01-31 00:00:00')))) > (CAST(DAY("ordered_at") AS BIGINT) * 86400000000 + (EPOCH_US("ordered_at") - EPOCH_US(DATE_TRUNC('day', "ordered_at")))) THEN ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) + 1 ELSE ((YEAR(TIMESTAMP '2025-01-31 00:00:00') * 12 + MONTH(TIMESTAMP '2025-01-31 00:00:00')) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) END) AS "age_months"
  FROM "__bf_2_filter"
),
"__bf_4_map" AS (
  SELECT (CASE WHEN ((CAST("order_id" AS VARCHAR) IS NULL) OR (CAST("line_no" AS VARCHAR) IS NULL)) THEN CAST(NULL AS VARCHAR) ELSE (COALESCE(CAST(LENGTH(CAST("order_id" AS VARCHAR)) AS VARCHAR), '') || ':' || COALESCE(CAST("order_id" AS VARCHAR), '') || ',' || COALESCE(CAST(LENGTH(CAST("line_no" AS VARCHAR)) AS VARCHAR), '') || ':' || COALESCE(CAST("line_no" AS VARCHAR), '')) END) AS "__bf_record_key",
    (COALESCE(CAST("order_id" AS VARCHAR), '') || '-' || COALESCE(CAST("line_no" AS VARCHAR), '')) AS "external_id",
    "unit_price" AS "amount",
    (CASE WHEN REGEXP_FULL_MATCH("qty_text", '^ *[-+]?[0-9]{1,15} *$') THEN CAST(TRIM("qty_text", ' ') AS BIGINT) END) AS "quantity",
    "is_big" AS "big",
    CAST("month" AS DATE) AS "month",
    CAST("due" AS TIMESTAMP) AS "due",
    'backflow''s sync' AS "source",
    CAST('{"origin":"warehouse","tags":["a","b"]}' AS JSON) AS "meta",
    CAST(['vip', 'q1'] AS VARCHAR[]) AS "tags",
    CAST("age_months" AS VARCHAR) AS "age"
  FROM "__bf_3_transform"
)
SELECT "__bf_record_key", "external_id", "amount", "quantity", "big", "month", "due", "source", "meta", "tags", "age"
FROM "__bf_4_map"