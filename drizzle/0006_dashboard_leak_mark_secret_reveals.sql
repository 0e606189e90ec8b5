ALTER TABLE `api_keys` ADD `leak_dismissed_at` integer;--> statement-breakpoint
ALTER TABLE `key_reveals` ADD `kind` text DEFAULT 'key' NOT NULL;