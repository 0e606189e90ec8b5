import { defineConfig } from "drizzle-kit";

// Migrations are generated into drizzle/, which wrangler.toml's migrations_dir
// points at: `wrangler d1 migrations apply DB` and the tests apply the same SQL.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
