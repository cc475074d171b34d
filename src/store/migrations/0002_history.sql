CREATE TABLE "checkout_session_days" (
	"day" timestamp with time zone NOT NULL,
	"session_id" bigint NOT NULL,
	CONSTRAINT "checkout_session_days_pk" PRIMARY KEY("day","session_id")
);
--> statement-breakpoint
CREATE TABLE "checkout_sessions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "checkout_sessions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"version" text DEFAULT '' NOT NULL,
	"username" text NOT NULL,
	"hostname" text NOT NULL,
	"display" text DEFAULT '' NOT NULL,
	"handle" text DEFAULT '' NOT NULL,
	"start_key" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"gone_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "checkout_sessions_count_check" CHECK ("checkout_sessions"."count" > 0),
	CONSTRAINT "checkout_sessions_closed_check" CHECK (("checkout_sessions"."ended_at" is null) = ("checkout_sessions"."gone_at" is null))
);
--> statement-breakpoint
CREATE TABLE "poll_cursors" (
	"server_id" text PRIMARY KEY NOT NULL,
	"poll_seq" bigint DEFAULT 0 NOT NULL,
	"last_poll_at" timestamp with time zone NOT NULL,
	"last_up_at" timestamp with time zone,
	"last_status" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"day" timestamp with time zone NOT NULL,
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"version" text NOT NULL,
	"username" text NOT NULL,
	"sessions_started" integer NOT NULL,
	"sessions_carried" integer NOT NULL,
	"license_seconds" double precision NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_daily_pk" PRIMARY KEY("day","server_id","feature","version","username")
);
--> statement-breakpoint
CREATE TABLE "usage_samples" (
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"issued" integer,
	"used" integer,
	"reserved" integer,
	"queued" integer,
	CONSTRAINT "usage_samples_pk" PRIMARY KEY("server_id","feature","at")
);
--> statement-breakpoint
CREATE TABLE "usage_samples_daily" (
	"day" timestamp with time zone NOT NULL,
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"peak_used" integer,
	"used_seconds" double precision NOT NULL,
	"known_seconds" double precision NOT NULL,
	"max_issued" integer,
	CONSTRAINT "usage_samples_daily_pk" PRIMARY KEY("day","server_id","feature")
);
--> statement-breakpoint
CREATE TABLE "usage_series" (
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"issued" integer,
	"used" integer,
	"reserved" integer,
	"queued" integer,
	CONSTRAINT "usage_series_pk" PRIMARY KEY("server_id","feature")
);
--> statement-breakpoint
ALTER TABLE "checkout_session_days" ADD CONSTRAINT "checkout_session_days_session_id_checkout_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."checkout_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "checkout_sessions_identity_uq" ON "checkout_sessions" USING btree ("server_id","feature","username","hostname","display","handle","start_key");--> statement-breakpoint
CREATE INDEX "checkout_sessions_open_idx" ON "checkout_sessions" USING btree ("server_id") WHERE "checkout_sessions"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "checkout_sessions_started_at_idx" ON "checkout_sessions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "usage_samples_at_idx" ON "usage_samples" USING btree ("at");