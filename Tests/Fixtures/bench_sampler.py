#!/usr/bin/python3
"""The storm sampler of Tests/Benchmarks/failover-bench.sh, run in the lab's namespace.

    bench_sampler.py OUT PERIOD_MS SECONDS NAME=METRICS_URL... [rss:NAME=PID...]

One thread per target, each every PERIOD_MS (start to start), until SECONDS have passed or
SIGTERM. A METRICS_URL target GETs the agent's Prometheus text (500 ms timeout) and logs
`vacataire_peer_last_heard_seconds`; an rss target reads VmRSS and VmHWM of the process
(/proc is shared by the namespaces). OUT gets one line per sample:

    TIME NAME VALUE     (metrics: seconds since this node last heard its peer, or
                         `none` with why when the endpoint did not answer)
    TIME rss:NAME RSS_KIB HWM_KIB
"""
import re
import signal
import sys
import threading
import time
import urllib.request

PATTERN = re.compile(r"^vacataire_peer_last_heard_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)", re.M)


def main():
    out_path, period, seconds = sys.argv[1], float(sys.argv[2]) / 1000, float(sys.argv[3])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    lock = threading.Lock()
    out = open(out_path, "a", buffering=1)
    deadline = time.time() + seconds

    def emit(text):
        with lock:
            out.write(text + "\n")

    def metrics(name, url):
        next_run = time.time()
        while not stop.is_set() and time.time() < deadline:
            began = time.time()
            try:
                with urllib.request.urlopen(url, timeout=0.5) as answer:
                    found = PATTERN.search(answer.read().decode("utf-8", "replace"))
                value = found.group(1) if found else "none:missing"
            except Exception as error:  # noqa: BLE001 - any failure is a sample
                value = "none:%s" % type(error).__name__
            emit("%.6f %s %s" % (began, name, value))
            next_run += period
            stop.wait(max(0.0, next_run - time.time()))

    def rss(name, pid):
        next_run = time.time()
        while not stop.is_set() and time.time() < deadline:
            began = time.time()
            try:
                with open("/proc/%s/status" % pid) as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
                emit("%.6f rss:%s %s %s" % (began, name, fields["VmRSS"].split()[0], fields["VmHWM"].split()[0]))
            except (OSError, KeyError):
                emit("%.6f rss:%s none none" % (began, name))
            next_run += period
            stop.wait(max(0.0, next_run - time.time()))

    threads = []
    for argument in sys.argv[4:]:
        if argument.startswith("rss:"):
            name, pid = argument[4:].split("=", 1)
            threads.append(threading.Thread(target=rss, args=(name, pid), daemon=True))
        else:
            name, url = argument.split("=", 1)
            threads.append(threading.Thread(target=metrics, args=(name, url), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
