-- wrk script for bench/bench_dispatch.py: posts each pre-signed ticket event exactly once.
-- DISPATCH_BENCH_EVENTS names a file of "timestamp<TAB>signature<TAB>body" lines; thread i of
-- DISPATCH_BENCH_THREADS takes lines i, i+n, i+2n... A thread stops once every one of its
-- events has an answer; the bench stops wrk itself once the database holds every event, since
-- wrk can lose a request without an answer or an error when a connection closes under it.
-- Past its last event a connection asks for /bench-idle/ (a 404 that touches no database)
-- until then; those are counted apart.

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
  next_event, accepted, refused, idle_sent, answered = 1, 0, 0, 0, 0
end

function request()
  -- wrk calls request() once on thread 0 before the run to see whether it pipelines; that
  -- call must not use up an event.
  if id == 0 and not probed then
    probed = true
    return idle
  end
  local event = events[next_event]
  if event == nil then
    idle_sent = idle_sent + 1
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
  if status ~= 404 then
    answered = answered + 1
  end
  if answered >= #events then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local accepted_total, refused_total, idle_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    accepted_total = accepted_total + thread:get("accepted")
    refused_total = refused_total + thread:get("refused")
    idle_total = idle_total + thread:get("idle_sent")
  end
  io.write(string.format(
    "WRK accepted=%d refused=%d idle=%d socket_errors=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    accepted_total, refused_total, idle_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
