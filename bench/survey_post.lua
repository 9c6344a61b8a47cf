-- wrk script for bench/bench_survey.py: every request submits a full response to a distinct
-- invitation (threads take disjoint slices of the token file) from an address of its own.
-- Counts requests sent, 303s (acknowledged) and anything else (errors) per thread; done()
-- prints the totals. Sent minus answered is what was still in flight when wrk stopped.
-- Environment: SURVEY_BENCH_TOKENS (one token per line), SURVEY_BENCH_BODY (the form body).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  sent, acked, errors, exhausted = 0, 0, 0, 0
  tokens = {}
  local n = 0
  for line in io.lines(os.getenv("SURVEY_BENCH_TOKENS")) do
    if n % tonumber(os.getenv("SURVEY_BENCH_THREADS")) == id then
      table.insert(tokens, line)
    end
    n = n + 1
  end
  next_token = 1
  body = os.getenv("SURVEY_BENCH_BODY")
  math.randomseed(id * 7919 + os.time())
end

function request()
  local token = tokens[next_token]
  next_token = next_token + 1
  sent = sent + 1
  if token == nil then
    exhausted = exhausted + 1
    token = "exhausted-tokens-00000000"  -- answers 404, counted as an error
  end
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/s/" .. token .. "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  if status == 303 then
    acked = acked + 1
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local sent_total, acked_total, errors_total, exhausted_total = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    acked_total = acked_total + thread:get("acked")
    errors_total = errors_total + thread:get("errors")
    exhausted_total = exhausted_total + thread:get("exhausted")
  end
  io.write(string.format(
    "WRK sent=%d acked=%d errors=%d exhausted=%d socket_errors=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f seconds=%.2f\n",
    sent_total, acked_total, errors_total, exhausted_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.duration / 1e6))
end
