"""Speed of the dashboard for a class: cold start, a step with its redraw, server memory.

Usage: ``python benchmarks/bench_dashboard.py [--sessions 30] [--employees 1000]``
(``make bench-dashboard``). Prints one table; docs/dashboard.md records the numbers.

* **Cold start**: ``serve()`` started in a fresh process (as ``wlsim dashboard`` does),
  time until the server answers HTTP, and until headless Chromium shows the page at
  ``Week 0`` with every figure drawn.
* **Step + redraw in Chromium**: at 1,000 employees (the slider moved to its end and
  Reset), a click on *Step* until the status and the network chart in the page show the
  new week, median and worst of ``--steps`` after the first: server, transfer and the
  browser's own work together.
* **Step + redraw**: in this process, the page rendered without a browser
  (``solara.render``); the time of a click on *Step* at ``--employees`` employees (the
  model steps every arm and the bands' replicates and redraws seven charts), median and
  worst of ``--steps``; and the same split into the models' step and the charts' drawing
  (writing their SVG). The browser adds the transfer of the SVG (about 250 KB at 1,000
  employees, most of it the network) and drawing it.
* **Server memory**: the server's resident memory (solara process) after the first page,
  then after ``--sessions`` pages opened, stepped once and closed one after another, and
  after the closed pages were freed (the server is started with a short cull timeout so
  that the benchmark need not wait the default two minutes).

Needs the viz extra, and Debian's /usr/bin/chromium with Playwright for the browser parts
(they are skipped, with a note, without them). Never asserted in tests: times depend on
the machine and its load, which the table reports.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def _solara_pid(parent: int) -> int:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[0])


def _steps_in_browser(browser: Any, url: str, steps: int) -> dict[str, float]:
    """Clicks on Step at 1,000 employees, timed until Chromium has every chart of the week."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url)
    status = page.locator(".wlsim-status")
    status.get_by_text("Week 0 of").wait_for(timeout=120_000)
    page.locator(".v-input", has_text="Employees:").first.get_by_role("slider").focus()
    page.keyboard.press("End")
    page.get_by_text("Employees: 1000").wait_for()
    page.get_by_role("button", name="Reset").click()
    page.locator(".wlsim-main").get_by_text("1000 employees").wait_for(timeout=60_000)
    times = []
    for week in range(1, steps + 1):
        start = time.monotonic()
        page.get_by_role("button", name="Step").click()
        # Polled at each animation frame: the status and the network's panel titles show
        # the new week (the network is the largest chart, most of a redraw's SVG).
        page.wait_for_function(
            "w => document.querySelector('.wlsim-status').textContent.startsWith(`Week ${w} of`)"
            " && [...document.querySelectorAll('.wlsim-main svg.wlsim-chart')]"
            ".some(e => e.textContent.includes(`week ${w}`))",
            arg=week,
            timeout=60_000,
        )
        times.append(time.monotonic() - start)
    page.close()
    return {
        "Step + redraw in Chromium, median (ms, 1000 employees)": 1000
        * statistics.median(times[1:]),
        "Step + redraw in Chromium, worst (ms, 1000 employees)": 1000 * max(times[1:]),
    }


def serve_and_browse(sessions: int, cull: str, steps: int = 6) -> dict[str, float]:
    """Cold start and server memory, with a real server and headless Chromium."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": cull, "PYTHONPATH": str(ROOT)}
    code = (
        "import sys; from sim.app.dashboard import serve; "
        f"sys.exit(serve(port={port}, open_browser=False))"
    )
    url = f"http://127.0.0.1:{port}/"
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    out: dict[str, float] = {}
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() - t0 > 120:
                raise RuntimeError("the server did not answer within 120 s")
        out["server answers (s)"] = time.monotonic() - t0
        flags = ["--disable-gpu", "--no-first-run", "--disable-background-networking"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)

            def session(step: bool) -> float:
                start = time.monotonic()
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(url)
                page.locator(".wlsim-status").get_by_text("Week 0 of").wait_for(timeout=120_000)
                page.wait_for_function(
                    "document.querySelectorAll('.wlsim-main svg.wlsim-chart').length >= 7",
                    timeout=60_000,
                )
                took = time.monotonic() - start
                if step:
                    page.get_by_role("button", name="Step").click()
                    page.locator(".wlsim-status").get_by_text("Week 1 of").wait_for(timeout=60_000)
                page.close()
                return took

            out["first page interactive (s)"] = session(step=False)
            out["cold start to interactive page (s)"] = (
                out["server answers (s)"] + out["first page interactive (s)"]
            )
            out["a later page interactive (s)"] = session(step=False)
            out.update(_steps_in_browser(browser, url, steps))
            solara = _solara_pid(proc.pid)
            out["server memory after 2 pages (MB)"] = _rss_mb(solara)
            for _ in range(sessions):
                session(step=True)
            out[f"server memory after {sessions + 2} pages (MB)"] = _rss_mb(solara)
            browser.close()
        time.sleep(_seconds(cull) + 5)
        out[f"server memory once closed pages are freed ({cull}) (MB)"] = _rss_mb(solara)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out


def _seconds(text: str) -> float:
    unit = {"s": 1, "m": 60, "h": 3600}.get(text[-1], 1)
    return float(text.rstrip("smh")) * unit


def step_and_redraw(employees: int, steps: int) -> dict[str, float]:
    """A click on Step with its redraw, in this process (no browser)."""
    import ipyvuetify as v
    import solara

    from sim.app import dashboard

    out: dict[str, float] = {}
    element = dashboard.Dashboard()
    _box, rc = solara.render(solara.AppLayout(children=[element]), handle_error=False)
    try:
        rc.find(
            v.Slider, label=f"Employees: {dashboard.DEFAULT_EMPLOYEES}"
        ).widget.v_model = employees
        start = time.perf_counter()
        rc.find(v.Btn, children=["Reset"]).widget.click()
        out[f"Reset at {employees} employees (s)"] = time.perf_counter() - start
        button = rc.find(v.Btn, children=["Step"]).widget
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            button.click()
            times.append(time.perf_counter() - start)
        out[f"Step + redraw, first (ms, {employees} employees)"] = 1000 * times[0]
        out[f"Step + redraw, median (ms, {employees} employees)"] = 1000 * statistics.median(
            times[1:]
        )
        out[f"Step + redraw, worst (ms, {employees} employees)"] = 1000 * max(times[1:])
    finally:
        rc.close()

    model = dashboard.DashboardModel(n_employees=employees)
    model.advance(10)
    start = time.perf_counter()
    model.advance(10)
    n_models = 2 * model.n_replicates + len(model.others)
    out[f"  of which the models' step (ms; {n_models} models)"] = (
        1000 * (time.perf_counter() - start) / 10
    )
    figures = {
        "network": dashboard.network_figure,
        "all arms": dashboard.all_arms_figure,
        "a curve (x4)": lambda m: dashboard.curve_figure(m, "mean_skill"),
        "learning": dashboard.learning_figure,
    }
    for name, make in figures.items():
        start = time.perf_counter()
        for _ in range(3):
            make(model)
        out[f"  of which drawing {name} (ms)"] = 1000 * (time.perf_counter() - start) / 3
    return out


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--cull", default="10s", help="the server's cull timeout here")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    results: dict[str, float] = {}
    try:
        import playwright  # noqa: F401

        browser = CHROMIUM.exists()
    except ImportError:
        browser = False
    if browser:
        results.update(serve_and_browse(args.sessions, args.cull, args.steps))
    else:
        print("(no /usr/bin/chromium or Playwright: cold start and memory skipped)")
    results.update(step_and_redraw(args.employees, args.steps))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:10.1f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
