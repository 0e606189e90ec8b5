-- wrk script for `npm run bench` (bench/load.ts).
--
-- BENCH_KEYS_FILE: a file of API keys, one per line; each request sends one
-- picked at random in X-API-Key (without it, wrk sends the -H headers as
-- given, with no per-request Lua at all).
-- BENCH_METHOD, BENCH_BODY: the method and JSON body of every request (the
-- write scenarios); BENCH_IDEMPOTENCY=fresh: each request a new
-- Idempotency-Key (the thread's seed, its start time and a counter).
-- done(): prints one line with the latency percentiles in microseconds,
-- including p99.9, which wrk's own --latency output lacks.

local keys = {}
local path = os.getenv("BENCH_KEYS_FILE")
if path and path ~= "" then
  for line in io.lines(path) do
    if line ~= "" then keys[#keys + 1] = line end
  end
end

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then wrk.method = method end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  local method = os.getenv("BENCH_METHOD")
  wrk.method = (method and method ~= "") and method or "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local fresh = os.getenv("BENCH_IDEMPOTENCY") == "fresh"

local prefix = ""
function init(args)
  -- Each thread its own sequence: os.time() alone would give every thread the same picks.
  math.randomseed(os.time() * 1000 + (seed or 0))
  prefix = string.format("bench-%d-%d-", seed or 0, os.time())
end

if #keys > 0 or fresh then
  local headers = nil
  local count = #keys
  local sent = 0
  function request()
    -- wrk.format replaces wrk.headers (the -H ones and Content-Type) with these: start from a copy.
    if not headers then
      headers = {}
      for name, value in pairs(wrk.headers) do headers[name] = value end
    end
    if count > 0 then headers["X-API-Key"] = keys[math.random(count)] end
    if fresh then
      sent = sent + 1
      headers["Idempotency-Key"] = prefix .. sent
    end
    return wrk.format(nil, nil, headers)
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH_LATENCY_US p50=%d p90=%d p99=%d p999=%d max=%d requests=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, summary.requests))
end
