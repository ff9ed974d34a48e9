-- Pipelined load for wrk: every write carries `depth` back-to-back GETs, so the
-- run measures request parsing and response batching rather than round trips.
-- wrk counts the requests in the string returned by request() and waits for
-- that many responses before writing again.
--
-- Usage: wrk -t1 -c16 -d5s --latency -s bench/lua/pipeline.lua <url> [-- <depth> [<path>]]
-- depth defaults to 16, path to the path of <url>.
--
-- wrk 4.x records one latency sample per batch but corrects for coordinated
-- omission with an interval computed per response, i.e. `depth` times too
-- short; that pushes samples below the minimum where its percentile walk never
-- looks, so the printed distribution is wrong (often 0.00us; wg/wrk#236).
-- done() therefore prints the histogram as wrk holds it, and the bench undoes
-- and redoes the correction per batch (bench/lib/wrk.ts).

local batch
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  -- Global so done(), which runs in wrk's main Lua state, can read it back.
  depth = tonumber(args[1]) or 16
  local path = args[2] or wrk.path
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format(nil, path)
  end
  batch = table.concat(requests)
end

function request()
  return batch
end

-- latency(i) walks the histogram from its minimum on every call, so a dump
-- costs about (distinct values) x (max - min) / 2 steps: ~1 s for a 60 ms
-- outlier, ~3 s at this budget. Beyond it (a stalled server) the dump is
-- skipped, and the bench reports n/a, rather than stalling for minutes.
local DumpBudget = 5e9

function done(summary, latency, _requests)
  local d = threads[1] and threads[1]:get("depth") or 16
  local header = string.format("pipeline-latency depth=%d duration_us=%d requests=%d",
    d, summary.duration, summary.requests)
  local distinct = #latency
  if distinct == 0 or distinct * (latency.max - latency.min + 1) > DumpBudget then
    io.write(header, " histogram=skipped\n")
    return
  end
  local buckets = {}
  for i = 1, distinct do
    local value, count = latency(i)
    buckets[i] = string.format("%d:%d", value, count)
  end
  io.write(header, " histogram=", table.concat(buckets, ","), "\n")
end
