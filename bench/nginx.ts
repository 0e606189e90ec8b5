/**
 * For reference only, when nginx is installed: nginx as a self-hosted
 * gateway doing a static key check (a `map` of the valid key) and
 * `limit_req`, in front of the same origin. One worker process, like the one
 * JavaScript thread of a workerd isolate.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasNginx = () => spawnSync("nginx", ["-v"]).error === undefined;

export async function startNginx(
  originUrl: string,
  validKey: string,
  port: number,
): Promise<{ stop: () => void; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), "momail-nginx-"));
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  map $http_x_api_key $key_ok { "${validKey}" 1; default 0; }
  limit_req_zone $http_x_api_key zone=keys:10m rate=100000r/s;
  upstream origin { server ${originUrl.replace("http://", "")}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /v1/ {
      if ($key_ok = 0) { return 401; }
      limit_req zone=keys burst=100000 nodelay;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-API-Key "";
      proxy_pass http://origin;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`${url}/v1/ping`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { stop: () => child.kill("SIGTERM"), url };
}
