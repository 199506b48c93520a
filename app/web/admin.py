"""`/admin`: who uses this Switchboard, how much, what needs reconnecting; revoke a person's access.

Only people in `ADMIN_EMAILS` get in, checked on every admin route. The usage chart is an inline
SVG drawn here on the server (no script, scales to phone width through its viewBox).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.browser import flash, message_page, pop_flash, render
from app.storage.admin import DayUsage, UserUsage
from app.storage.clock import utcnow
from app.storage.store import User
from app.web.pages import Pages, login_redirect

logger = logging.getLogger(__name__)

USAGE_DAYS = 7
CHART_DAYS = 14
CHART_WIDTH, CHART_HEIGHT = 560, 260
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 528, 28, 206


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    ok_y: float
    ok_height: float
    error_y: float
    error_height: float
    label: str  # shown under every other bar (and today's)
    minor: bool  # a label left out at phone width (only every fourth day is shown there)
    title: str  # the bar's tooltip and accessible text


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    days: list[DayUsage]
    summary: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def nice_step(largest: int, steps: int = 4) -> int:
    """A round tick step (1, 2, 5 × 10ⁿ) so `steps` ticks cover `largest`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * steps >= largest:
                return step * factor
        step *= 10


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def usage_chart(usage: list[DayUsage], today: date, days: int = CHART_DAYS) -> Chart:
    """Calls per day (errors stacked on top) for the `days` days ending `today`, as SVG geometry."""
    by_day = {entry.day: entry for entry in usage}
    series = [
        by_day.get(day, DayUsage(day, 0, 0)) for day in (today - timedelta(days=n) for n in range(days - 1, -1, -1))
    ]
    step = nice_step(max((entry.calls for entry in series), default=0))
    top = step * 4
    height = PLOT_BOTTOM - PLOT_TOP
    slot = (PLOT_RIGHT - PLOT_LEFT) / days
    bars: list[Bar] = []
    for index, entry in enumerate(series):
        ok_height = height * (entry.calls - entry.errors) / top
        error_height = height * entry.errors / top
        ok_y = PLOT_BOTTOM - ok_height
        errors = f", {plural(entry.errors, 'error')}" if entry.errors else ""
        bars.append(
            Bar(
                x=round(PLOT_LEFT + index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                ok_y=round(ok_y, 2),
                ok_height=round(ok_height, 2),
                error_y=round(ok_y - error_height, 2),
                error_height=round(error_height, 2),
                label=day_label(entry.day) if (days - 1 - index) % 2 == 0 else "",
                minor=(days - 1 - index) % 4 != 0,
                title=f"{day_label(entry.day)}: {plural(entry.calls, 'call')}{errors}",
            )
        )
    ticks = [Tick(round(PLOT_BOTTOM - height * n / 4, 2), step * n) for n in range(5)]
    calls, errors = sum(e.calls for e in series), sum(e.errors for e in series)
    busiest = max(series, key=lambda e: e.calls)
    summary = f"{plural(calls, 'tool call')} and {plural(errors, 'error')} in the last {days} days"
    if calls:
        summary += f"; the busiest day was {day_label(busiest.day)} with {plural(busiest.calls, 'call')}"
    return Chart(bars=bars, ticks=ticks, days=series, summary=summary + ".")


def revoked_notice(email: str, tokens: int) -> str:
    """What revoking a person ended: their browser sessions always, and their tokens for apps if any."""
    ended = f"Signed {email} out of every browser"
    if tokens:
        ended += f" and revoked {plural(tokens, 'app token')} (connectors and installer tokens)"
    else:
        ended += "; they had no app tokens to revoke"
    return ended + ". They must sign in again to use Switchboard."


def user_state(row: UserUsage) -> str:
    """active | needs reconnect | revoked, as the admin table shows it."""
    if row.status == "revoked":
        return "revoked"
    if row.grant_status != "active":
        return "needs reconnect"
    return "active"


class AdminPages(Pages):
    """Routes `/admin` and `/admin/revoke` (a confirmation page, then the POST that revokes)."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/admin", self.overview, methods=["GET"]),
            Route("/admin/revoke", self.confirm_revoke, methods=["GET"]),
            Route("/admin/revoke", self.revoke, methods=["POST"]),
        ]

    async def _admin(self, request: Request, next_path: str = "/admin") -> User | Response:
        user = await self.current_user(request)
        if user is None:
            return login_redirect(next_path)
        if not self.is_admin(user):
            logger.info("admin page refused for user %s", user.id)
            return message_page(
                request,
                "Not allowed",
                f"The admin pages are for the people this Switchboard names as admins; {user.email} is not one. "
                "An admin of the server adds addresses to the ADMIN_EMAILS setting and restarts it.",
                status_code=403,
                action_url="/",
                action_label="Go to the start page",
            )
        return user

    async def overview(self, request: Request) -> Response:
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        await self.services.get_audit().flush()  # this replica's latest calls count too
        await self.services.get_activity().flush()  # and its latest last-active times
        store = self.services.get_store()
        now = utcnow()
        rows = await store.user_usage(now - timedelta(days=USAGE_DAYS))
        today = now.date()
        first_day = datetime.combine(today - timedelta(days=CHART_DAYS - 1), time.min, tzinfo=UTC)
        usage = await store.daily_usage(first_day)
        return render(
            request,
            "admin.html",
            title="Admin",
            user=admin,
            is_admin=True,
            users=[(row, user_state(row)) for row in rows],
            reconnect=[row for row in rows if row.status != "revoked" and row.grant_status == "needs_reconnect"],
            chart=usage_chart(usage, today),
            usage_days=USAGE_DAYS,
            notice=pop_flash(request),
        )

    async def confirm_revoke(self, request: Request) -> Response:
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        target = await self.services.get_store().get_user(request.query_params.get("user", ""))
        if target is None:
            return message_page(request, "No such person", "That person is not a user of this Switchboard.", 404)
        return render(request, "admin_revoke.html", title="Revoke access", user=admin, is_admin=True, target=target)

    async def revoke(self, request: Request) -> Response:
        checked = await self.form_user(request, "/admin")
        if isinstance(checked, Response):
            return checked
        _user, fields = checked
        admin = await self._admin(request)
        if isinstance(admin, Response):
            return admin
        store = self.services.get_store()
        target = await store.get_user(fields.get("user_id", ""))
        if target is None:
            return message_page(request, "No such person", "That person is not a user of this Switchboard.", 404)
        count = await self.revocations.revoke_user(target.id)
        logger.info("admin %s revoked user %s (%d tokens)", admin.id, target.id, count)
        flash(request, revoked_notice(target.email, count))
        return RedirectResponse("/admin", status_code=303)
