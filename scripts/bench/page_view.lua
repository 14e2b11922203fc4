-- wrk script for scripts/bench-page-views.sh: GETs one path (PATH_TO_GET) as a browser on the
-- site would (its Origin, a language, compressed), for LOAD_SECONDS, counting 200s and anything else.
local threads = {}
local path = os.getenv("PATH_TO_GET")
local origin = os.getenv("ORIGIN") or "http://localhost:8080"
local load_seconds = tonumber(os.getenv("LOAD_SECONDS") or "10")

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, other = 0, 0
  started = os.time()
end

function delay()
  if os.time() - started >= load_seconds then return 60000 end
  return 0
end

function request()
  -- As a browser asks: compressed answers are what it gets.
  return wrk.format("GET", path, { ["Origin"] = origin, ["Accept-Language"] = "en", ["Accept-Encoding"] = "gzip, deflate, br" })
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local k, o = 0, 0
  for _, t in ipairs(threads) do k = k + t:get("ok"); o = o + t:get("other") end
  io.write(string.format("RESULT ok=%d other=%d rps=%.0f p50=%.2f p99=%.2f\n",
    k, o, (k + o) / load_seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
