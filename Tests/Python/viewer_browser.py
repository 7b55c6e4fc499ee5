#!/usr/bin/env python3
"""Drives the torqlog viewer in headless Chromium (selenium + chromedriver), for ViewerBrowserTests.

Usage: viewer_browser.py BASE_URL RUN_ID HOSTILE_RUN_ID SCREENSHOT_DIR

It loads `/` (the runs), `/runs/RUN_ID` (the waterfall: clicks the first span),
`/runs/HOSTILE_RUN_ID` (a run whose fields hold markup and script), its static
trace page (`/api/runs/HOSTILE_RUN_ID/trace?format=html`: hovers a span), `/tail`
(posts an event with hostile fields to /v1/events and waits for it to appear) and
`/overview` (the events-over-time chart, the compliance score, the store),
saves a screenshot of each page, and prints one JSON object with what it saw:
the run ids listed, the waterfall's row count, the selected span's title, the
first contentful paint of the run page, whether the tail showed the event, and
whether any injected script ran (window.__xss) or any injected element exists.
"""

import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1"><b id="injected">x</b>'


def main():
    base, run_id, hostile_run, shots = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(shots, exist_ok=True)
    options = Options()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--no-proxy-server"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    out = {}
    try:
        wait = WebDriverWait(driver, 15)

        def injected():
            return bool(driver.execute_script("return window.__xss === 1")) or bool(driver.find_elements(By.ID, "injected"))

        # The runs, newest first.
        driver.get(base + "/")
        wait.until(lambda d: run_id in d.find_element(By.ID, "runs").text)
        out["runs_text"] = driver.find_element(By.ID, "runs").text
        driver.save_screenshot(os.path.join(shots, "runs.png"))

        # One run: the waterfall, a click on its first span, the details.
        driver.get(base + "/runs/" + urllib.request.quote(run_id, safe=""))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#waterfall svg g.row"))
        rows = driver.find_elements(By.CSS_SELECTOR, "#waterfall svg g.row")
        out["rows"] = len(rows)
        out["first_contentful_paint_ms"] = driver.execute_script(
            "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
        # The waterfall draws only the rows in view and redraws them: click the
        # first row as it is now, again if a redraw replaced it under the click.
        for attempt in range(10):
            try:
                driver.find_elements(By.CSS_SELECTOR, "#waterfall svg g.row")[0].click()
                break
            except StaleElementReferenceException:
                time.sleep(0.1)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#details h2").text.strip() != "")
        out["details_title"] = driver.find_element(By.CSS_SELECTOR, "#details h2").text
        out["waterfall_svg"] = bool(driver.find_elements(By.CSS_SELECTOR, "#waterfall svg"))
        driver.save_screenshot(os.path.join(shots, "run.png"))
        out["injected_run"] = injected()

        # A run whose fields are hostile: shown as text, nothing runs.
        driver.get(base + "/runs/" + urllib.request.quote(hostile_run, safe=""))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#waterfall svg g.row") or "script" in d.find_element(By.ID, "main").text)
        time.sleep(0.5)
        out["hostile_text_shown"] = "<script>" in driver.find_element(By.TAG_NAME, "body").text
        out["injected_hostile_run"] = injected()

        # The static trace page (trace --format html, its script and style linked under the CSP):
        # hovering a span shows its details, hostile fields stay text.
        driver.get(base + "/api/runs/" + urllib.request.quote(hostile_run, safe="") + "/trace?format=html")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg g.span"))
        span = driver.find_elements(By.CSS_SELECTOR, "svg g.span")[-1]
        ActionChains(driver).move_to_element(span).perform()
        wait.until(lambda d: d.find_element(By.ID, "tip").is_displayed())
        out["static_tip_text"] = driver.find_element(By.ID, "tip").text
        out["static_styled"] = driver.execute_script(
            "return getComputedStyle(document.getElementById('tip')).position === 'fixed'"
            " && getComputedStyle(document.querySelector('svg .label') || document.body).fill !== ''")
        out["injected_static"] = injected()

        # The live tail: an event written now appears, its hostile fields as text.
        driver.get(base + "/tail")
        wait.until(lambda d: "onnect" not in d.find_element(By.ID, "state").text or d.find_element(By.ID, "state").text == "")
        time.sleep(0.5)
        marker = "tail-marker-%d" % int(time.time() * 1000)
        line = json.dumps({"event_type": "tool_execution", "event_id": marker, "run_id": "browser-tail", "note": HOSTILE}) + "\n"
        request = urllib.request.Request(base + "/v1/events", data=line.encode(), headers={"Content-Type": "application/x-ndjson"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        written = time.time()
        with opener.open(request, timeout=10) as answer:
            out["tail_post_status"] = answer.status
        wait.until(lambda d: marker in d.find_element(By.ID, "log").text)
        out["tail_seen_after_ms"] = round((time.time() - written) * 1000)
        out["tail_shows_event"] = True
        driver.save_screenshot(os.path.join(shots, "tail.png"))
        out["injected_tail"] = injected()

        driver.get(base + "/overview")
        wait.until(lambda d: "compliance score" in d.find_element(By.ID, "compliance").text)
        wait.until(lambda d: "segments" in d.find_element(By.ID, "store").text)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg g.column"))
        out["overview_timeline_columns"] = len(driver.find_elements(By.CSS_SELECTOR, "#timeline svg g.column"))
        out["overview_compliance"] = driver.find_element(By.ID, "compliance").text
        out["overview_store"] = driver.find_element(By.ID, "store").text
        driver.save_screenshot(os.path.join(shots, "overview.png"))
        try:
            out["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        except Exception:  # not every driver keeps the browser's log
            out["console_errors"] = None
    finally:
        driver.quit()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
