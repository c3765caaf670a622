-- wrk script for bench_web.py: each wrk thread sends its own share of prepared POST requests, in order, once.
-- The jobs file (path in BENCH_JOBS) has one request per line: PATH, a tab, then the url-encoded form body.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  jobs = {}
  local n = 0
  local total = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_JOBS")) do
    if n % total == id then
      local tab = line:find("\t", 1, true)
      table.insert(jobs, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    n = n + 1
  end
  next_job = 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local job = jobs[next_job]
  if job == nil then
    job = jobs[#jobs]  -- out of prepared jobs: the run was sized so that this does not happen
  end
  next_job = next_job + 1
  return wrk.format(nil, job[1], nil, job[2])
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
