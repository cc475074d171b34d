CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"feature" text,
	"server_id" text,
	"threshold" double precision,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_kind_check" CHECK ("alert_rules"."kind" in ('FREE_BELOW', 'FREE_PERCENT_BELOW', 'EXPIRES_WITHIN_DAYS', 'SERVER_DOWN', 'DAEMON_DOWN', 'QUEUE_NONEMPTY'))
);
