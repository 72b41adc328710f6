-- wrk script: POST /webhook/event with unique eventIds. BATCH (env, default 100) events per
-- request; BATCH=1 sends single-event bodies (an object, not an array).
local batch = tonumber(os.getenv("BATCH") or "100")
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local tt = '{"eventId":"%s","timestamp":"2026-01-31T12:00:00Z","source":"tiktok","funnelStage":"top","eventType":"video.view","data":{"user":{"userId":"u%d","username":"user%d","followers":%d},"engagement":{"watchTime":12.5,"percentageWatched":80,"device":"iOS","country":"US","videoId":"v%d"}}}'
local fb = '{"eventId":"%s","timestamp":"2026-01-31T12:00:00Z","source":"facebook","funnelStage":"bottom","eventType":"checkout.complete","data":{"user":{"userId":"u%d","name":"Ann","age":31,"gender":"female","location":{"country":"DE","city":"Berlin"}},"engagement":{"adId":"ad%d","campaignId":"c%d","clickPosition":"center","device":"mobile","browser":"Chrome","purchaseAmount":"19.99"}}}'
local run = os.getenv("RUN_ID") or tostring(os.time())

local function event(n)
  local id = run .. "-" .. thread_id .. "-" .. n
  local u = n % 5000
  if n % 2 == 0 then
    return string.format(tt, id, u, u, n % 100000, n % 977)
  end
  return string.format(fb, id, u, n % 50, n % 20)
end

function request()
  if batch == 1 then
    counter = counter + 1
    return wrk.format(nil, nil, nil, event(counter))
  end
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = event(counter)
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_s=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors_connect=%d errors_read=%d errors_timeout=%d batch=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.timeout, batch))
end
