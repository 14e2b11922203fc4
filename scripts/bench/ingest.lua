-- wrk script for scripts/bench-ingest.sh: posts answers with unique ids for LOAD_SECONDS, then
-- sends nothing more while the answers in flight complete, so every request sent is counted.
-- Prints the number of 201 (stored) and 200 (already stored) answers per run.
local threads = {}
local site = os.getenv("SITE_KEY")
local load_seconds = tonumber(os.getenv("LOAD_SECONDS") or "10")

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  created, repeated, other, sent = 0, 0, 0, 0
  started = os.time()
  math.randomseed(os.time() * 1000 + index * 7919)
  prefix = string.format("%08x-%04x-4%03x", math.random(0, 0x7fffffff), math.random(0, 0xffff), index)
end

function delay()
  -- After the load period: wait out the rest of the run, sending nothing new.
  if os.time() - started >= load_seconds then return 60000 end
  return 0
end

-- Answers as the widget sends them: usage context that varies, and a comment in one of five.
local devices = { "desktop", "mobile", "tablet" }
local browsers = { "chrome", "firefox", "safari", "edge" }
local triggers = { "armed_exit", "exit_intent", "time_on_site", "api" }
local languages = { "en", "fi", "sv", "de", "ar" }
local comments = { "Checkout was slow", "Great selection", "Could not find the size guide",
                   "Delivery options were clear", "The search is confusing" }

local function pick(list, n) return list[(n % #list) + 1] end

function request()
  sent = sent + 1
  local id = string.format("%s-8%03x-%012x", prefix, sent % 4096, sent)
  local r = math.random(0, 1000000)
  local comment = ""
  if r % 5 == 0 then comment = string.format(',"comment":"%s"', pick(comments, math.floor(r / 5))) end
  local body = string.format(
    '{"id":"%s","site":"%s","score":%d,"language":"%s"%s,'
      .. '"context":{"path":"/products/%d","device":"%s","browser":"%s","trigger":"%s"}}',
    id, site, sent % 11, pick(languages, math.floor(r / 7)), comment, r % 40,
    pick(devices, math.floor(r / 11)), pick(browsers, math.floor(r / 13)), pick(triggers, math.floor(r / 17)))
  return wrk.format("POST", "/api/v1/responses", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then repeated = repeated + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); r = r + t:get("repeated"); o = o + t:get("other")
  end
  io.write(string.format("RESULT created=%d repeated=%d other=%d rps=%.0f p50=%.2f p99=%.2f\n",
    c, r, o, (c + r + o) / load_seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
