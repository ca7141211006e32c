-- e2e-cached.lua: wrk script for tests/bench/e2e.sh: the same trivial job
-- again and again on keep-alive connections, so every answer after the
-- first comes from the gateway's cache.
wrk.method = "POST"
wrk.path = "/compileandrun"
wrk.headers["Content-Type"] = "text/x-java-source"
wrk.body = "public class Cached { public String run() { return \"cached\"; } }"

function done(summary, latency, requests)
	io.write(string.format("requests %d\n", summary.requests))
	io.write(string.format("requests_per_s %.1f\n",
	    summary.requests / (summary.duration / 1e6)))
	io.write(string.format("latency_p50_ms %.2f\nlatency_p99_ms %.2f\n",
	    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
