"""The audit log for admins: 「監査ログ」/`audit log` shows the newest entries; its export (a signed ten-minute
link) is itself written to the log, so nobody reads the whole record unseen."""

from __future__ import annotations

from bot.anonymity import purpose_key
from bot.audit import audit_csv
from bot.context import Context
from bot.feature import Feature, HttpRequest, HttpResponse, command, http, verb
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.links import signed_link, signed_params
from bot.permissions import Refusal, Role
from bot.routes import Outcome, Refresh, Say
from bot.turn import Turn
from cards.audit import audit_card
from cards.download import download_card

EXPORT_ROUTE = "/audit/export.csv"


class Audit(Feature):
    name = "audit"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.export_key = purpose_key(ctx.anonymity_key, "audit-export")

    async def _require_admin(self, turn: Turn) -> None:
        await self.ctx.policy.require(turn, Role.ADMIN, refusal="audit.admins_only")

    @command("監査ログ", "audit log", help="audit.command", audience=Role.ADMIN)
    async def show(self, turn: Turn) -> Outcome:
        await self._require_admin(turn)
        entries = await self.ctx.audit.entries(limit=20)
        return Say(card=audit_card(turn.lang, entries, total=await self.ctx.audit.count(), tz=self.ctx.tz))

    @verb("audit.export")
    async def export_link(self, turn: Turn) -> Outcome:
        await self._require_admin(turn)
        base = self.ctx.settings.browser_base_url
        if base is None:
            raise Refusal("audit.export_unavailable")
        params = {"by": turn.user_key, "name": turn.actor.name, "lang": turn.lang}
        link = signed_link(self.export_key, EXPORT_ROUTE, params, self.ctx.clock.now())
        return Refresh(download_card(turn.lang, t("audit.export_title", turn.lang), base + link))

    @http("GET", EXPORT_ROUTE)
    async def download(self, request: HttpRequest) -> HttpResponse:
        params = signed_params(self.export_key, EXPORT_ROUTE, request.query, self.ctx.clock.now())
        if params is None:
            return HttpResponse(403, t("audit.link_expired", request.query.get("lang", DEFAULT_LANGUAGE)))
        await self.ctx.audit.record(self.name, "audit.export", params["by"], params["name"], "audit_log", {})
        lang = params["lang"]
        body = audit_csv(await self.ctx.audit.entries(), lambda key: t(key, lang), self.ctx.tz)
        day = self.ctx.clock.now().astimezone(self.ctx.tz).strftime("%Y%m%d")
        headers = {"Content-Disposition": f'attachment; filename="audit-{day}.csv"', "Cache-Control": "no-store"}
        return HttpResponse(200, body, "text/csv", headers)
