WITH
"__bf_1_query" AS (
  SELECT "__bf_source"."order_id" AS "order_id",
    "__bf_source"."line_no" AS "line_no",
    "__bf_source"."sku" AS "sku",
    "__bf_source"."qty" AS "qty",
    CAST("__bf_source"."amount" AS DOUBLE PRECISION) AS "amount",
    CAST(("__bf_source"."ordered_at" AT TIME ZONE 'UTC') AS TIMESTAMP) AS "ordered_at"
  FROM (
    SELECT * FROM "analytics"."order lines"
  ) AS "__bf_source"
),
"__bf_2_filter" AS (
  SELECT "order_id", "line_no", "sku", "qty", "amount", "ordered_at"
  FROM "__bf_1_query"
  WHERE ((("amount" BETWEEN CAST(10 AS DOUBLE PRECISION) AND CAST('99.5' AS DOUBLE PRECISION)) AND STARTS_WITH("sku", 'SKU-')) OR (("ordered_at" >= TIMESTAMP '2024-01-01 00:00:00') AND ((STRPOS(LOWER("sku"), 'gift') > 0) OR (("qty" % NULLIF(2, 0)) = 0))))
),
"__bf_3_transform" AS (
  SELECT "order_id",
    "line_no",
    "sku",
    "qty",
    "amount",
    "ordered_at",
    DATE_TRUNC('month', "ordered_at") AS "month",
    CAST((CAST("ordered_at" AS DATE) + MAKE_INTERVAL(months => CAST(1 AS INTEGER))) AS DATE) AS "due",
    CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE PRECISION), 0)) AS TEXT) AS NUMERIC), 2) AS DOUBLE PRECISION) AS "unit_price",
    ("qty" / NULLIF(2, 0)) AS "half",
    (COALESCE("sku", '') || ' × ' || COALESCE(CAST("qty" AS TEXT), '') || ' @ ' || COALESCE(RTRIM(RTRIM(CAST(ROUND(CAST(CAST(CAST(ROUND(CAST(CAST(("amount" / NULLIF(CAST("qty" AS DOUBLE PRECISION), 0)) AS TEXT) AS NUMERIC), 2) AS DOUBLE PRECISION) AS TEXT) AS NUMERIC), 10) AS TEXT), '0'), '.'), '')) AS "label",
    (("amount" >= CAST('50' AS DOUBLE PRECISION)) AND (NOT ("sku" IS NULL))) AS "is_big",
    CAST("qty" AS TEXT) AS "qty_text",
    (CASE WHEN ((CAST(EXTRACT(YEAR FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT)) - (CAST(EXTRACT(YEAR FROM "ordered_at") AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM "ordered_at") AS BIGINT))) > 0 AND (CAST(EXTRACT(DAY FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 86400000000 + CAST(EXTRACT(EPOCH FROM (TIMESTAMP '2025-01-31 00:00:00' - DATE_TRUNC('day', TIMESTAMP '2025-01-31 00:00:00'))) * 1000000 AS BIGINT)) < (CAST(EXTRACT(DAY FROM "ordered_at") AS BIGINT) * 86400000000 + CAST(EXTRACT(EPOCH FROM ("ordered_at" - DATE_TRUNC('day', "ordered_at"))) * 1000000 AS BIGINT)) THEN ((CAST(EXTRACT(YEAR FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT)) - (CAST(EXTRACT(YEAR FROM "ordered_at") AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM "ordered_at") AS BIGINT))) - 1 WHEN ((CAST(EXTRACT(YEAR FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT)) - (CAST(EXTRACT(YEAR FROM "ordered_at") AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM "ordered_at") AS BIGINT))) < 0 AND (CAST(EXTRACT(DAY FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 86400000000 + CAST(EXTRACT(EPOCH FROM (TIMESTAMP '2025-01-31 00:00:00' - DATE_TRUNC('day', TIMESTAMP '2025-01-31 00:00:00'))) * 1000000 AS BIGINT)) > (CAST(EXTRACT(DAY FROM "ordered_at") AS BIGINT) * 86400000000 + CAST(EXTRACT(EPOCH FROM ("ordered_at" - DATE_TRUNC('day', "ordered_at"))) * 1000000 AS BIGINT)) THEN ((CAST(EXTRACT(YEAR FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT)) - (CAST(EXTRACT(YEAR FROM "ordered_at") AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM "ordered_at") AS BIGINT))) + 1 ELSE ((CAST(EXTRACT(YEAR FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM TIMESTAMP '2025-01-31 00:00:00') AS BIGINT)) - (CAST(EXTRACT(YEAR FROM "ordered_at") AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM "ordered_at") AS BIGINT))) END) AS "age_months"
  FROM "__bf_2_filter"
),
"__bf_4_map" AS (
  SELECT (CASE WHEN ((CAST("order_id" AS TEXT) IS NULL) OR (CAST("line_no" AS TEXT) IS NULL)) THEN CAST(NULL AS TEXT) ELSE (COALESCE(CAST(LENGTH(CAST("order_id" AS TEXT)) AS TEXT), '') || ':' || COALESCE(CAST("order_id" AS TEXT), '') || ',' || COALESCE(CAST(LENGTH(CAST("line_no" AS TEXT)) AS TEXT), '') || ':' || COALESCE(CAST("line_no" AS TEXT), '')) END) AS "__bf_record_key",
    (COALESCE(CAST("order_id" AS TEXT), '') || '-' || COALESCE(CAST("line_no" AS TEXT), '')) AS "external_id",
    "unit_price" AS "amount",
    (CASE WHEN ("qty_text" ~ '^ *[-+]?[0-9]{1,15} *$') THEN CAST(BTRIM("qty_text", ' ') AS BIGINT) END) AS "quantity",
    "is_big" AS "big",
    CAST("month" AS DATE) AS "month",
    CAST("due" AS TIMESTAMP) AS "due",
    'backflow''s sync' AS "source",
    CAST('{"origin":"warehouse","tags":["a","b"]}' AS JSONB) AS "meta",
    CAST(ARRAY['vip', 'q1'] AS TEXT[]) AS "tags",
    CAST("age_months" AS TEXT) AS "age"
  FROM "__bf_3_transform"
)
SELECT "__bf_record_key", "external_id", "amount", "quantity", "big", "month", "due", "source", "meta", "tags", "age"
FROM "__bf_4_map"