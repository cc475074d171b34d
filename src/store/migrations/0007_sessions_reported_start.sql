ALTER TABLE "checkout_sessions" ADD COLUMN "reported_start" timestamp with time zone;--> statement-breakpoint
-- sessions recorded before this column: what was stored as their start is what the server reported
UPDATE "checkout_sessions" SET "reported_start" = "started_at" WHERE "start_key" NOT LIKE 'raw:%';
