CREATE TABLE "usage_daily_totals" (
	"day" timestamp with time zone NOT NULL,
	"server_id" text NOT NULL,
	"feature" text NOT NULL,
	"version" text NOT NULL,
	"sessions_started" integer NOT NULL,
	"sessions_carried" integer NOT NULL,
	"license_seconds" double precision NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"users" bit varying NOT NULL,
	CONSTRAINT "usage_daily_totals_pk" PRIMARY KEY("day","server_id","feature","version")
);
--> statement-breakpoint
CREATE TABLE "usage_users" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "usage_users_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"username" text NOT NULL,
	CONSTRAINT "usage_users_username_unique" UNIQUE("username")
);
