-- What each wrk connection sends for bench/api.py, which sets the environment:
--   BENCH_API_TOKEN  the bearer token every request carries;
--   BENCH_API_MODE   "paths": GET a random line of BENCH_API_PATHS each time;
--                    "ingest": POST a new ticket (a fresh external id) for a random account
--                    of BENCH_API_ACCOUNTS to the intake endpoint;
--   BENCH_API_RUN    a run id, so ingest never repeats an external id from an earlier run.
-- done() prints one JSON line that bench/api.py reads; latencies are in microseconds.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  return lines
end

local mode, lines, run
local sent = 0

function init(args)
  mode = os.getenv("BENCH_API_MODE")
  run = os.getenv("BENCH_API_RUN")
  if mode == "ingest" then
    lines = read_lines(os.getenv("BENCH_API_ACCOUNTS"))
  else
    lines = read_lines(os.getenv("BENCH_API_PATHS"))
  end
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
  math.randomseed(os.time() * 100 + thread_number)
end

function request()
  local line = lines[math.random(#lines)]
  if mode ~= "ingest" then
    return wrk.format("GET", line)
  end
  sent = sent + 1
  local body = string.format(
    '{"external_system": "bench", "external_id": "%s-%d-%d", "customer": {"account_number": "%s"},'
      .. ' "subject": "Withdrawal pending", "body": "My withdrawal has been pending since yesterday.",'
      .. ' "channel": "email", "category": "withdrawals"}',
    run, thread_number, sent, line
  )
  return wrk.format("POST", "/api/v1/intake/tickets/", nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_API_RESULT {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    errors.status + errors.connect + errors.read + errors.write + errors.timeout
  ))
end
