-- What each wrk connection sends for bench/api.py, which sets the environment:
--   BENCH_API_TOKEN  the bearer token every request carries;
--   BENCH_API_MODE   "paths": GET a random line of BENCH_API_PATHS each time;
--                    "ingest": POST a new ticket (a fresh external id) for a random account
--                    of BENCH_API_ACCOUNTS to the intake endpoint;
--                    "batch": POST BENCH_API_BATCH such tickets at once to the batch endpoint;
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

local mode, lines, run, batch
local sent = 0

function init(args)
  mode = os.getenv("BENCH_API_MODE")
  run = os.getenv("BENCH_API_RUN")
  batch = tonumber(os.getenv("BENCH_API_BATCH") or "1")
  if mode == "ingest" or mode == "batch" then
    lines = read_lines(os.getenv("BENCH_API_ACCOUNTS"))
  else
    lines = read_lines(os.getenv("BENCH_API_PATHS"))
  end
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
  math.randomseed(os.time() * 100 + thread_number)
end

local function ticket()
  sent = sent + 1
  return string.format(
    '{"external_system": "bench", "external_id": "%s-%d-%d", "customer": {"account_number": "%s"},'
      .. ' "subject": "Withdrawal pending", "body": "My withdrawal has been pending since yesterday.",'
      .. ' "channel": "email", "category": "withdrawals"}',
    run, thread_number, sent, lines[math.random(#lines)]
  )
end

function request()
  if mode == "ingest" then
    return wrk.format("POST", "/api/v1/intake/tickets/", nil, ticket())
  end
  if mode == "batch" then
    local tickets = {}
    for i = 1, batch do
      tickets[i] = ticket()
    end
    return wrk.format("POST", "/api/v1/intake/tickets/batch/", nil, '{"tickets": [' .. table.concat(tickets, ", ") .. "]}")
  end
  return wrk.format("GET", lines[math.random(#lines)])
end

-- A batch is answered 200 even when some of its tickets were refused: count those from the body.
refused = 0

function response(status, headers, body)
  if mode == "batch" and status == 200 then
    refused = refused + (tonumber(string.match(body, '"refused":%s*(%d+)')) or batch)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local refused_tickets = 0
  for _, thread in ipairs(threads) do
    refused_tickets = refused_tickets + (thread:get("refused") or 0)
  end
  io.write(string.format(
    'BENCH_API_RESULT {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d, "refused": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    errors.status + errors.connect + errors.read + errors.write + errors.timeout, refused_tickets
  ))
end
