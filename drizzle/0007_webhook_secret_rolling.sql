ALTER TABLE `accounts` ADD `previous_webhook_secret` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `previous_webhook_secret_expires_at` integer;--> statement-breakpoint
CREATE INDEX `accounts_previous_webhook_secret_idx` ON `accounts` (`previous_webhook_secret_expires_at`);