#!/usr/bin/env python3
"""The viewer's figures (issue 16), against a running `torqlog serve` on a store
made by scripts/gen-trace-bench.py (it holds "run-big", a 17,000-event run):

    python3 scripts/gen-trace-bench.py /tmp/big.jsonl 100000 17000
    torqlog --dir /tmp/big ingest -q /tmp/big.jsonl && torqlog --dir /tmp/big seal
    torqlog --dir /tmp/big serve --listen 127.0.0.1:4600 --log-level warning &
    python3 scripts/viewer-figures.py http://127.0.0.1:4600 run-big

Prints one JSON object:
- the run page in headless Chromium (selenium), 5 loads: first contentful
  paint, the time until the waterfall's rows are drawn (the 16 MB trace JSON
  fetched and laid out), and the page's element count;
- `/api/runs?limit=50`, 20 requests: p50 and max;
- the live tail: 300 events posted to /v1/events 20 ms apart while an SSE
  client follows /api/tail; time from each POST to its `data:` line, p50/p99/max.
Needs chromium, chromium-driver and python3 selenium (`make test-deps`).
"""

import http.client
import json
import sys
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def page(base, run):
    options = Options()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--no-proxy-server"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    fcp, drawn, nodes = [], [], []
    try:
        for _ in range(5):
            start = time.time()
            driver.get(base + "/runs/" + urllib.parse.quote(run, safe=""))
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#waterfall svg g.row"))
            drawn.append(round((time.time() - start) * 1000))
            fcp.append(driver.execute_script("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null"))
            nodes.append(driver.execute_script("return document.getElementsByTagName('*').length"))
    finally:
        driver.quit()
    return {"first_contentful_paint_ms": fcp, "waterfall_drawn_ms": drawn, "elements": nodes}


def runs_api(host, port):
    times = []
    for _ in range(20):
        connection = http.client.HTTPConnection(host, port, timeout=30)
        start = time.time()
        connection.request("GET", "/api/runs?limit=50")
        connection.getresponse().read()
        times.append((time.time() - start) * 1000)
    return {"p50_ms": round(quantile(times, 0.5), 2), "max_ms": round(max(times), 2)}


def tail(host, port):
    arrived, posted = {}, {}
    done = threading.Event()

    def follow():
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("GET", "/api/tail?type=figure")
        response = connection.getresponse()
        while not done.is_set():
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                arrived[json.loads(line[6:])["n"]] = time.time()

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.5)
    for n in range(300):
        body = json.dumps({"event_type": "figure", "n": n, "event_id": "figure-%d-%f" % (n, time.time())}) + "\n"
        connection = http.client.HTTPConnection(host, port, timeout=10)
        posted[n] = time.time()
        connection.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/x-ndjson"})
        connection.getresponse().read()
        time.sleep(0.02)
    time.sleep(1.0)
    done.set()
    latency = [(arrived[n] - posted[n]) * 1000 for n in posted if n in arrived]
    return {"received": len(latency), "sent": len(posted), "post_to_event_ms": {
        "p50": round(quantile(latency, 0.5), 2), "p99": round(quantile(latency, 0.99), 2), "max": round(max(latency), 2)}}


def main():
    base, run = sys.argv[1].rstrip("/"), sys.argv[2]
    address = urllib.parse.urlparse(base)
    print(json.dumps({"run_page": page(base, run), "api_runs": runs_api(address.hostname, address.port),
                      "live_tail": tail(address.hostname, address.port)}))


if __name__ == "__main__":
    main()
