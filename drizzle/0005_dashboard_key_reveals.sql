CREATE TABLE `key_reveals` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`key_id` text NOT NULL,
	`replaces_key_id` text,
	`sealed` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `key_reveals_session_idx` ON `key_reveals` (`session_id`);--> statement-breakpoint
CREATE INDEX `key_reveals_expires_idx` ON `key_reveals` (`expires_at`);