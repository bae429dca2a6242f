WITH
"__bf_1_query" AS (
  SELECT "__bf_source"."customer_id" AS "customer_id",
    "__bf_source"."first_name" AS "first_name",
    "__bf_source"."last_name" AS "last_name",
    "__bf_source"."email" AS "email",
    "__bf_source"."country" AS "country",
    "__bf_source"."signup_date" AS "signup_date",
    "__bf_source"."plan" AS "plan",
    "__bf_source"."marketing_opt_in" AS "marketing_opt_in"
  FROM (
    SELECT * FROM customers
  ) AS "__bf_source"
),
"__bf_2_filter" AS (
  SELECT "customer_id", "first_name", "last_name", "email", "country", "signup_date", "plan", "marketing_opt_in"
  FROM "__bf_1_query"
  WHERE ((("marketing_opt_in" = TRUE) AND ("email" IS NOT NULL)) AND (("country" IN ('US', 'GB', 'O''Land')) OR ("signup_date" BETWEEN CAST((CAST(TIMESTAMP '2025-03-15 12:00:00' AS DATE) + TO_DAYS(CAST((-90) AS INTEGER))) AS DATE) AND CAST(TIMESTAMP '2025-03-15 12:00:00' AS DATE))))
),
"__bf_3_transform" AS (
  SELECT "customer_id",
    "first_name",
    "last_name",
    "email",
    "country",
    "signup_date",
    "plan",
    "marketing_opt_in",
    LOWER(TRIM("email", ' ')) AS "email_norm",
    SHA256(LOWER(TRIM("email", ' '))) AS "email_hash",
    (CASE WHEN ("plan" IN ('pro', 'business')) THEN 'customer' ELSE 'lead' END) AS "lifecycle",
    ((EPOCH_US(TIMESTAMP '2025-03-15 12:00:00') - EPOCH_US(CAST("signup_date" AS TIMESTAMP))) // NULLIF(86400000000, 0)) AS "customer_since_days"
  FROM "__bf_2_filter"
),
"__bf_4_map" AS (
  SELECT CAST("customer_id" AS VARCHAR) AS "__bf_record_key",
    "email_norm" AS "email",
    "first_name" AS "firstname",
    "last_name" AS "lastname",
    COALESCE("country", 'unknown') AS "country",
    "signup_date" AS "signup_date",
    "lifecycle" AS "lifecycle",
    "email_hash" AS "email_hash",
    "customer_since_days" AS "customer_since_days"
  FROM "__bf_3_transform"
)
SELECT "__bf_record_key", "email", "firstname", "lastname", "country", "signup_date", "lifecycle", "email_hash", "customer_since_days"
FROM "__bf_4_map"