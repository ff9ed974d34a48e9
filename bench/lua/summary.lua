-- Exact figures for wrk runs: wrk prints latencies with two decimals in their
-- unit (1.00s) and transfer rates in rounded KB/MB/GB, too coarse for a 1.005 s
-- budget or a 10 % bandwidth ratio. done() prints them unrounded, in µs and
-- bytes, on one line the bench parses (bench/lib/wrk.ts, wrkSummary).
-- The percentiles are the ones wrk prints (after its coordinated-omission
-- correction), only more precise.
--
-- Only done() is defined, so wrk keeps its static request and calls no Lua per
-- request: the script costs nothing during the run.
--
-- Usage: wrk ... --latency -s bench/lua/summary.lua <url>

function done(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-summary duration_us=%d requests=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d" ..
      " min_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
