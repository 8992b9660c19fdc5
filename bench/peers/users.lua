-- bench/compare.sh: each request carries one of 100,000 user ids in x-user-id (seeded, so runs repeat).
-- With WRK_CLOSE=1 every request also says "Connection: close", so each one is a new connection (and, over TLS,
-- a full handshake: the tlshandshake scenario).
-- At the end it prints one machine-readable line that compare.sh parses (latencies in microseconds).
math.randomseed(42)
local close = os.getenv("WRK_CLOSE") == "1"

request = function()
  local headers = { ["x-user-id"] = "user-" .. math.random(1, 100000) }
  if close then
    headers["Connection"] = "close"
  end
  return wrk.format("GET", "/", headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "COMPARE requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
