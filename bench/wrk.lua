-- wrk script for `npm run bench` (bench/load.ts).
--
-- BENCH_KEYS_FILE: a file of API keys, one per line; each request sends one
-- picked at random in X-API-Key (without it, wrk sends the -H headers as
-- given, with no per-request Lua at all).
-- BENCH_METHOD, BENCH_BODY: the method and body of every request (a JSON
-- email for the sending scenarios), when set.
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

function init(args)
  -- Each thread its own sequence: os.time() alone would give every thread the same picks.
  math.randomseed(os.time() * 1000 + (seed or 0))
end

if #keys > 0 then
  local headers = {}
  local count = #keys
  function request()
    headers["X-API-Key"] = keys[math.random(count)]
    return wrk.format(nil, nil, headers)
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH_LATENCY_US p50=%d p90=%d p99=%d p999=%d max=%d requests=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, summary.requests))
end
