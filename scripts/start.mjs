// npm start: applies the local D1 migrations, then runs the gateway under
// wrangler dev. (Issue 6 grows this into the full one-command local stack.)
import { spawn, spawnSync } from "node:child_process";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);
const dev = spawn("npx", ["wrangler", "dev", "--var", "ADMIN_TOKEN:dev-only-admin-token"], { stdio: "inherit", env });
dev.on("exit", (code) => process.exit(code ?? 0));
