CREATE TABLE `usage_hours` (
	`key_id` text NOT NULL,
	`account_id` text NOT NULL,
	`hour` integer NOT NULL,
	`admitted` integer DEFAULT 0 NOT NULL,
	`rate_limited` integer DEFAULT 0 NOT NULL,
	`quota_exceeded` integer DEFAULT 0 NOT NULL,
	`forbidden` integer DEFAULT 0 NOT NULL,
	`origin_2xx` integer DEFAULT 0 NOT NULL,
	`origin_3xx` integer DEFAULT 0 NOT NULL,
	`origin_4xx` integer DEFAULT 0 NOT NULL,
	`origin_5xx` integer DEFAULT 0 NOT NULL,
	`origin_failed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key_id`, `hour`)
);
--> statement-breakpoint
CREATE INDEX `usage_hours_account_idx` ON `usage_hours` (`account_id`,`hour`);--> statement-breakpoint
ALTER TABLE `accounts` ADD `shared_rate_limit_limit` integer;--> statement-breakpoint
ALTER TABLE `accounts` ADD `shared_rate_limit_window_seconds` integer;--> statement-breakpoint
ALTER TABLE `accounts` ADD `quota_limit` integer;--> statement-breakpoint
ALTER TABLE `accounts` ADD `quota_period` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `max_keys` integer;