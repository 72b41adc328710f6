-- wrk script for bench/e2e/run.sh --analytics-clients: every connection cycles through all analytics
-- endpoints (default window, the filters and orderings users send), so the mix is the same whatever the
-- number of clients. Prints one machine-readable line:
--   RESULT requests duration_s p50_ms p99_ms non2xx socket_errors
local paths = {
  "/analytics/stats",
  "/analytics/stats?source=tiktok&funnelStage=bottom",
  "/analytics/timeseries?granularity=hour",
  "/analytics/timeseries?granularity=minute",
  "/analytics/timeseries?granularity=day",
  "/analytics/funnel",
  "/analytics/countries?limit=10",
  "/analytics/campaigns/top?by=revenue",
  "/analytics/users/top?by=events",
  "/analytics/users/top?by=revenue",
  "/analytics/revenue",
}
local counter = 0
function init(args)
  -- Start each connection's cycle at a different place.
  counter = math.random(#paths)
end
function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
function done(summary, latency, requests)
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.2f %.1f %.1f %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, socket))
end
