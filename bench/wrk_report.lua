-- Prints wrk's figures in a form bench/web.py reads: requests/s, latency percentiles (µs), errors.
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("CQPI rps %.2f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("CQPI p%d %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("CQPI errors %d\n", errors))
end
