-- wrk script for bench/bench_ingest.py latency: posts each pre-signed event once, each
-- connection waiting PACED_DELAY_MS between requests, so the total rate is about
-- connections * 1000 / PACED_DELAY_MS events/s (wrk has no rate option; wrk2 is not packaged).
-- Lines of DISPATCH_BENCH_EVENTS are "timestamp<TAB>signature<TAB>body"; thread i of
-- DISPATCH_BENCH_THREADS takes lines i, i+n, ... Past its last event a thread asks for
-- /bench-idle/ (a 404 touching no database) until the bench stops wrk.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  events = {}
  local n = 0
  local every = tonumber(os.getenv("DISPATCH_BENCH_THREADS"))
  for line in io.lines(os.getenv("DISPATCH_BENCH_EVENTS")) do
    if n % every == id then
      local stamp, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(events, wrk.format("POST", "/api/ticket-events/", {
        ["Content-Type"] = "application/json",
        ["X-Surveys-Timestamp"] = stamp,
        ["X-Surveys-Signature"] = signature,
      }, body))
    end
    n = n + 1
  end
  idle = wrk.format("GET", "/bench-idle/")
  pause = tonumber(os.getenv("PACED_DELAY_MS"))
  next_event, accepted, refused = 1, 0, 0
end

function delay()
  return pause
end

function request()
  if id == 0 and not probed then
    probed = true
    return idle
  end
  local event = events[next_event]
  if event == nil then
    return idle
  end
  next_event = next_event + 1
  return event
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status ~= 404 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local accepted_total, refused_total = 0, 0
  for _, thread in ipairs(threads) do
    accepted_total = accepted_total + thread:get("accepted")
    refused_total = refused_total + thread:get("refused")
  end
  io.write(string.format(
    "WRK accepted=%d refused=%d socket_errors=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    accepted_total, refused_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
