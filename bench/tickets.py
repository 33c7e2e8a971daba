"""Ticket pages at scale: 1,000,000 feedback / 200,000 tickets, served by gunicorn, timed over HTTP.

Usage: python bench/tickets.py [--feedback 1000000] [--tickets 200000] [--database-url URL] [--requests 300]
                               [--instance DIR (kept, and reused when it already holds the data)]
Prints one JSON line per figure: the ticket list (first page; by department; by department and text),
a ticket's page and its similar past resolutions (fetched by the page), the manager's and a head's home
page, and the feedback list (/feedback, first page), each with p50/p95 in ms against its target.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import emit, run_cli, volume_instance, volume_options  # noqa: E402
from bench.tickets_data import PASSWORD, build  # noqa: E402
from feedback import clock  # noqa: E402
from feedback.db import make_engine  # noqa: E402

SEARCH_WORD = "kettle"  # a product named in about one ticket in twenty
TARGETS = {"list": 25, "detail": 15, "similar": 50, "home": 50, "feedback": 50}  # similar: our own bound


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, port: int) -> subprocess.Popen:
    """gunicorn as deployed: two workers with threads, no scheduler; returns once it answers."""
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "feedback:create_app()"]
    server = subprocess.Popen(command, env=env | {"FEEDBACK_SCHEDULER": "false"})
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


class Browser:
    """One signed-in person over a keep-alive connection: a session cookie and a plain HTTP client."""

    def __init__(self, port: int, email: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/login", urlencode({"csrf_token": token, "email": email, "password": PASSWORD}),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise SystemExit(f"could not sign in as {email}")

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> tuple[int, str]:
        try:
            self.connection.request(method, path, body=body, headers={"Cookie": self.cookie} | (headers or {}))
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()  # gunicorn closed an idle keep-alive connection: open a new one
            self.connection.request(method, path, body=body, headers={"Cookie": self.cookie} | (headers or {}))
            response = self.connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def get(self, path: str) -> str:
        status, text = self.request("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        return text


def timed(browser: Browser, paths: list[str], warmup: int = 20) -> list[float]:
    """Milliseconds per request, after a few requests to warm caches."""
    for path in paths[:warmup]:
        browser.get(path)
    spent = []
    for path in paths:
        started = time.perf_counter()
        browser.get(path)
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def figure(name: str, kind: str, spent: list[float], extra: dict) -> None:
    p95 = statistics.quantiles(spent, n=20)[18]
    emit("tickets", {"figure": name, "requests": len(spent), "p50_ms": round(statistics.median(spent), 2),
                     "p95_ms": round(p95, 2), "target_ms": TARGETS[kind], "ok": p95 <= TARGETS[kind],
                     "load_avg": round(os.getloadavg()[0], 1)} | extra)  # other work on the machine shows in p95


def main() -> None:
    parser = argparse.ArgumentParser()
    volume_options(parser)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with volume_instance(args) as (instance, env, url):
        built = prepare(env, url, args)
        port = free_port()
        server = serve(env, port)
        try:
            measure(port, args.requests, built | {"database": "postgresql" if args.database_url else "sqlite"})
        finally:
            server.terminate()
            server.wait(timeout=30)


def prepare(env: dict, url: str, args) -> dict:
    """Migrate and load the taxonomy, then bulk-build the data (unless a kept instance has it already)."""
    engine = make_engine(url)
    try:
        run_cli(["init"], env)
        with engine.connect() as conn:
            present = conn.exec_driver_sql("SELECT count(*) FROM ticket").scalar_one()
            feedback = conn.exec_driver_sql("SELECT count(*) FROM feedback").scalar_one()
        if present:
            return {"feedback": feedback, "tickets": present, "build_s": 0}
        started = time.perf_counter()
        built = build(engine, feedback=args.feedback, tickets=args.tickets, now=clock.now())
        return built | {"build_s": round(time.perf_counter() - started)}
    finally:
        engine.dispose()


def measure(port: int, requests: int, extra: dict) -> None:
    rng = random.Random(11)
    manager = Browser(port, "manager@bench.example")
    head = Browser(port, "logistics.head@bench.example")
    lists = {
        "list_first_page": "/tickets",
        "list_department": "/tickets?department=logistics",
        "list_department_search": f"/tickets?department=logistics&q={SEARCH_WORD}",
    }
    for name, path in lists.items():
        figure(name, "list", timed(manager, [path] * requests), extra)
    total = extra["tickets"]
    figure("ticket_detail", "detail", timed(manager, [f"/tickets/{rng.randint(1, total)}" for _ in range(requests)]), extra)
    # the similar past resolutions, fetched by the ticket page after it is shown
    figure("ticket_similar", "similar", timed(manager, [f"/tickets/{rng.randint(1, total)}/similar" for _ in range(requests)]), extra)
    figure("home_manager", "home", timed(manager, ["/"] * requests), extra)
    figure("home_head", "home", timed(head, ["/"] * requests), extra)
    figure("feedback_list_first_page", "feedback", timed(manager, ["/feedback"] * requests), extra)


if __name__ == "__main__":
    main()
