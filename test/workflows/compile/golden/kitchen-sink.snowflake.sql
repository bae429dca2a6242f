WITH
"__bf_1_query" AS (
  SELECT "__bf_source"."order_id" AS "order_id",
    "__bf_source"."line_no" AS "line_no",
    "__bf_source"."sku" AS "sku",
    "__bf_source"."qty" AS "qty",
    CAST("__bf_source"."amount" AS DOUBLE) AS "amount",
    "__bf_source"."ordered_at" AS "ordered_at"
  FROM (
    SELECT * FROM "analytics"."order lines"
  ) AS "__bf_source"
),
"__bf_2_filter" AS (
  SELECT "order_id", "line_no", "sku", "qty", "amount", "ordered_at"
  FROM "__bf_1_query"
  WHERE ((("amount" BETWEEN CAST(10 AS DOUBLE) AND CAST('99.5' AS DOUBLE)) AND STARTSWITH("sku", 'SKU-')) OR (("ordered_at" >= CAST('2024-01-01 00:00:00' AS TIMESTAMP_NTZ)) AND (CONTAINS(LOWER("sku"), 'gift') OR (MOD("qty", NULLIF(2, 0)) = 0))))
),
"__bf_3_transform" AS (
  SELECT "order_id",
    "line_no",
    "sku",
    "qty",
    "amount",
    "ordered_at",
    CAST(DATE_TRUNC('month', "ordered_at") AS TIMESTAMP_NTZ) AS "month",
    CAST(DATEADD('month', 1, CAST("ordered_at" AS DATE)) AS DATE) AS "due",
    CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE), 0)) AS VARCHAR) AS NUMBER(38, 18)), 2) AS DOUBLE) AS "unit_price",
    TRUNC("qty" / NULLIF(2, 0)) AS "half",
    (COALESCE("sku", '') || ' × ' || COALESCE(CAST("qty" AS VARCHAR), '') || ' @ ' || COALESCE(RTRIM(RTRIM(CAST(ROUND(CAST(CAST(CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE), 0)) AS VARCHAR) AS NUMBER(38, 18)), 2) AS DOUBLE) AS VARCHAR) AS NUMBER(38, 18)), 10) AS VARCHAR), '0'), '.'), '')) AS "label",
    (("amount" >= CAST('50' AS DOUBLE)) AND (NOT ("sku" IS NULL))) AS "is_big",
    CAST("qty" AS VARCHAR) AS "qty_text",
    (CASE WHEN ((YEAR(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 12 + MONTH(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) > 0 AND (DAY(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 86400000000 + DATEDIFF('microsecond', DATE_TRUNC('day', CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)), CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) < (DAY("ordered_at") * 86400000000 + DATEDIFF('microsecond', DATE_TRUNC('day', "ordered_at"), "ordered_at")) THEN ((YEAR(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 12 + MONTH(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) - 1 WHEN ((YEAR(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 12 + MONTH(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) < 0 AND (DAY(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 86400000000 + DATEDIFF('microsecond', DATE_TRUNC('day', CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)), CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) > (DAY("ordered_at") * 86400000000 + DATEDIFF('microsecond', DATE_TRUNC('day', "ordered_at"), "ordered_at")) THEN ((YEAR(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 12 + MONTH(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) + 1 ELSE ((YEAR(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ)) * 12 + MONTH(CAST('2025-01-31 00:00:00' AS TIMESTAMP_NTZ))) - (YEAR("ordered_at") * 12 + MONTH("ordered_at"))) END) AS "age_months"
  FROM "__bf_2_filter"
),
"__bf_4_map" AS (
  SELECT (CASE WHEN ((CAST("order_id" AS VARCHAR) IS NULL) OR (CAST("line_no" AS VARCHAR) IS NULL)) THEN CAST(NULL AS VARCHAR) ELSE (COALESCE(CAST(LENGTH(CAST("order_id" AS VARCHAR)) AS VARCHAR), '') || ':' || COALESCE(CAST("order_id" AS VARCHAR), '') || ',' || COALESCE(CAST(LENGTH(CAST("line_no" AS VARCHAR)) AS VARCHAR), '') || ':' || COALESCE(CAST("line_no" AS VARCHAR), '')) END) AS "__bf_record_key",
    (COALESCE(CAST("order_id" AS VARCHAR), '') || '-' || COALESCE(CAST("line_no" AS VARCHAR), '')) AS "external_id",
    "unit_price" AS "amount",
    (CASE WHEN REGEXP_LIKE("qty_text", '^ *[-+]?[0-9]{1,15} *$') THEN CAST(TRIM("qty_text", ' ') AS NUMBER(38, 0)) END) AS "quantity",
    "is_big" AS "big",
    CAST("month" AS DATE) AS "month",
    CAST("due" AS TIMESTAMP_NTZ) AS "due",
    'backflow''s sync' AS "source",
    PARSE_JSON('{"origin":"warehouse","tags":["a","b"]}') AS "meta",
    ARRAY_CONSTRUCT('vip', 'q1') AS "tags",
    CAST("age_months" AS VARCHAR) AS "age"
  FROM "__bf_3_transform"
)
SELECT "__bf_record_key", "external_id", "amount", "quantity", "big", "month", "due", "source", "meta", "tags", "age"
FROM "__bf_4_map"