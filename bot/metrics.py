"""Operations: Prometheus metrics (`/metrics`), a health check (`/health`), activity logs.

Each Application has its own registry, so nothing is global and tests can run several bots.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

log = logging.getLogger(__name__)

OUTBOX_STATUSES = ("pending", "sent", "failed", "dead")


class Metrics:
    """The counters the bot keeps: updates, handler latency, reports, deliveries, failures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("trygghetsbot_updates", "Telegram updates handled", registry=r)
        self.update_failures = Counter(
            "trygghetsbot_update_failures", "Updates whose handler raised an error", registry=r
        )
        self.latency = Histogram(
            "trygghetsbot_handler_seconds",
            "Time to handle one update, from the start of processing to the last reply",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.reports = Counter(
            "trygghetsbot_reports", "Reports and ideas submitted", ["station", "kind"], registry=r
        )
        self.deliveries = Counter(
            "trygghetsbot_deliveries", "Outbox messages delivered", ["channel"], registry=r
        )
        self.delivery_failures = Counter(
            "trygghetsbot_delivery_failures",
            "Outbox delivery attempts that failed (retried, dropped or flood-limited)",
            ["channel", "reason"],
            registry=r,
        )
        self.staff_unreachable = Counter(
            "trygghetsbot_staff_unreachable",
            "Messages to a staff member that Telegram refused because it cannot reach them"
            " (never opened the bot, blocked it, deleted the account), by the staff's actor",
            ["actor"],
            registry=r,
        )
        self.outbox = Gauge(
            "trygghetsbot_outbox_messages", "Outbox messages by status", ["status"], registry=r
        )
        self._last: dict[str, float] = {}

    def observe_update(self, seconds: float) -> None:
        self.updates.inc()
        self.latency.observe(seconds)

    def set_outbox(self, counts: dict[str, int]) -> None:
        for status in OUTBOX_STATUSES:
            self.outbox.labels(status).set(counts.get(status, 0))

    def totals(self) -> dict[str, float]:
        """Running totals: updates, reports, deliveries, failures (updates and deliveries)."""

        def total(name: str) -> float:
            return sum(
                s.value
                for metric in self.registry.collect()
                if metric.name == name
                for s in metric.samples
                if s.name == f"{name}_total"
            )

        return {
            "updates": total("trygghetsbot_updates"),
            "reports": total("trygghetsbot_reports"),
            "deliveries": total("trygghetsbot_deliveries"),
            "failures": total("trygghetsbot_update_failures")
            + total("trygghetsbot_delivery_failures"),
        }

    def log_activity(self) -> None:
        """One log line with what happened since the last call."""
        now = self.totals()
        delta = {k: int(v - self._last.get(k, 0)) for k, v in now.items()}
        self._last = now
        log.info(
            "Activity: %d updates, %d reports, %d deliveries, %d failures",
            delta["updates"],
            delta["reports"],
            delta["deliveries"],
            delta["failures"],
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def make_metrics_app(
    metrics: Metrics,
    refresh: Callable[[], Awaitable[None]],
    healthy: Callable[[], bool],
) -> web.Application:
    """`/metrics` (Prometheus text format) and `/health` (200 while the bot runs, else 503)."""

    async def scrape(request: web.Request) -> web.Response:
        try:
            await refresh()
        except Exception:  # the counters are still worth serving
            log.warning("Could not refresh the outbox gauges", exc_info=True)
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def health(request: web.Request) -> web.Response:
        if healthy():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="stopped\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/health", health)
    return app


async def start_metrics_server(
    app: web.Application, host: str, port: int
) -> tuple[web.AppRunner, int]:
    """Serve `app`; returns the runner (to clean up) and the port actually bound."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = int(runner.addresses[0][1])
    log.info("Metrics and health on http://%s:%d/metrics", host, bound)
    return runner, bound
