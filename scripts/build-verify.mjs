// Builds the origin-side verifier (src/verify) into dist/verify/index.js, so
// origins on Node import `momail-gateway/verify` as plain JavaScript. Runs on
// `npm install` (prepare); it has no dependencies of its own.
import { build } from "esbuild";

await build({
  entryPoints: ["src/verify/index.ts"],
  outfile: "dist/verify/index.js",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});
