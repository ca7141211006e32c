-- e2e-jobs.lua: wrk script for tests/bench/e2e.sh. Every request is a
-- distinct trivial job (a cache miss): class J<prefix>_<thread>_<n>, whose
-- run() returns "ok <n>". JDP_PREFIX keeps runs apart.
local prefix = os.getenv("JDP_PREFIX") or "x"
local threads = {}
counter = 0
tid = 0

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	counter = 0
end

function request()
	counter = counter + 1
	local name = string.format("J%s_%d_%d", prefix, tid, counter)
	local body = string.format(
	    "public class %s { public String run() { return \"ok %d\"; } }",
	    name, counter)
	return wrk.format("POST", "/compileandrun",
	    { ["Content-Type"] = "text/x-java-source" }, body)
end

function response(status, headers, body)
	if status ~= 200 then
		bad = (bad or 0) + 1
	end
end

function done(summary, latency, requests)
	local bad = 0
	for _, t in ipairs(threads) do
		bad = bad + (t:get("bad") or 0)
	end
	io.write(string.format("wrong_answers %d\n", bad))
	for _, p in ipairs({ 50, 99 }) do
		io.write(string.format("latency_p%d_ms %.1f\n", p,
		    latency:percentile(p) / 1000))
	end
	io.write(string.format("requests %d\n", summary.requests))
	io.write(string.format("requests_per_s %.1f\n",
	    summary.requests / (summary.duration / 1e6)))
end
