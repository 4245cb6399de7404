"""`GET /reports/monthly|quarterly|term`: a report's PDF, XLSX and CSV files in one zip,
built on demand (supervisors; each download audited)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from gateway.accounts.service import AccountService
from gateway.app.api.auth import UNAUTHENTICATED, Require, address
from gateway.app.api.statistics import INVALID
from gateway.app.reporting import Reporting
from gateway.core.accounts import Principal, Role
from gateway.core.statistics import PeriodError
from gateway.reports.labels import Language

ZIP = "application/zip"
_FORMS = {"monthly": "YYYY-MM, e.g. 2026-11", "quarterly": "YYYY-Qn, e.g. 2026-Q4",
          "term": "a term of the calendar, e.g. autumn-2026"}


def report_routes(reporting: Reporting, accounts: AccountService,
                  require: Require) -> APIRouter:
    router = APIRouter(prefix="/reports", tags=["reports"])
    Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
    responses = {**UNAUTHENTICATED, **INVALID,
                 200: {"content": {ZIP: {}}, "description": "The PDF, the XLSX and a CSV "
                                                            "per table, zipped."}}

    async def report(kind: str, text: str, language: Language, principal: Principal,
                     request: Request) -> Response:
        try:
            period = reporting.period(kind, text)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from None
        files = await reporting.build(period, language)
        await accounts.audit(principal.name, f"report.{kind}", period.name,
                             {"language": language}, address(request))
        return Response(files.zip(), media_type=ZIP, headers={
            "Content-Disposition": f'attachment; filename="{files.name}.zip"'})

    @router.get("/monthly", responses=responses, response_class=Response)
    async def monthly(principal: Supervisor, request: Request,
                      month: Annotated[str, Query(description=_FORMS["monthly"])],
                      language: Language = "zh-CN") -> Response:
        """The monthly report (a month not over says so on its first page)."""
        return await report("monthly", month, language, principal, request)

    @router.get("/quarterly", responses=responses, response_class=Response)
    async def quarterly(principal: Supervisor, request: Request,
                        quarter: Annotated[str, Query(description=_FORMS["quarterly"])],
                        language: Language = "zh-CN") -> Response:
        """The quarterly report."""
        return await report("quarterly", quarter, language, principal, request)

    @router.get("/term", responses=responses, response_class=Response)
    async def term(principal: Supervisor, request: Request,
                   term: Annotated[str, Query(description=_FORMS["term"])],
                   language: Language = "zh-CN") -> Response:
        """The report of a term."""
        return await report("term", term, language, principal, request)

    return router
