-- Custom SQL migration file, put your code below! --
-- usage_samples.next_at for samples written before the column existed: the next sample of the same series.
UPDATE "usage_samples" s SET "next_at" = x."next_at"
FROM (
  SELECT "server_id", "feature", "at", lead("at") OVER (PARTITION BY "server_id", "feature" ORDER BY "at") AS "next_at"
  FROM "usage_samples"
) x
WHERE s."server_id" = x."server_id" AND s."feature" = x."feature" AND s."at" = x."at" AND x."next_at" IS NOT NULL AND s."next_at" IS NULL;
