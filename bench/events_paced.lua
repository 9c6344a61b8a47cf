-- wrk script for bench/bench_ingest.py latency: posts each pre-signed event once, each
-- connection waiting a pause between requests (wrk has no rate option; wrk2 is not packaged).
-- A connection's period is its pause plus the request's latency, so a fixed pause of
-- connections * 1000 / rate ms fell short of the rate by the latency (8 connections, 16 ms
-- pause and ~10 ms answers: ~300/s offered for 500/s asked). Each thread therefore counts what
-- it sent in each clock second and corrects the pause towards PACED_RATE / threads; the pause
-- starts at PACED_DELAY_MS and never goes below 0.
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
  per_thread = tonumber(os.getenv("PACED_RATE")) / every
  my_connections = tonumber(os.getenv("PACED_CONNECTIONS")) / every
  next_event, accepted, refused = 1, 0, 0
  second, sent = nil, 0
end

function delay()
  local now = os.time()
  if now ~= second then
    if second ~= nil and now == second + 1 and sent > 0 then
      -- period = pause + latency; with the latency seen, the pause that gives per_thread/s:
      pause = math.max(0, pause - 1000 * my_connections * (1 / sent - 1 / per_thread))
    end
    second, sent = now, 0
  end
  sent = sent + 1
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
