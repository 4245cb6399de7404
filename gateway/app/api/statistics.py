"""`GET /statistics`: every figure of a period (a month, quarter, term or `from`..`to`),
the same the reports print. Anyone logged in reads it."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from gateway.app.api.auth import UNAUTHENTICATED, Require
from gateway.app.api.schemas import Problem
from gateway.app.reporting import Reporting
from gateway.core.accounts import Principal, Role
from gateway.core.statistics import Period, PeriodError, date_range, month, quarter

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A period written in the wrong form; the "
                                          "message names the field."}}


def choose_period(reporting: Reporting, first: str | None, last: str | None,
                  in_month: str | None, in_quarter: str | None,
                  in_term: str | None) -> Period:
    """The one period the query names; HTTP 422 naming the field otherwise."""
    given = [name for name, value in (("from", first), ("to", last), ("month", in_month),
                                      ("quarter", in_quarter), ("term", in_term))
             if value is not None]
    try:
        if in_month is not None and given == ["month"]:
            return month(in_month)
        if in_quarter is not None and given == ["quarter"]:
            return quarter(in_quarter)
        if in_term is not None and given == ["term"]:
            return reporting.period("term", in_term)
        if first is not None and last is not None and given == ["from", "to"]:
            return date_range(first, last)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None
    raise HTTPException(422, "give `from` and `to`, or one of `month`, `quarter`, `term` "
                             f"(got: {', '.join(given) or 'none'})")


def statistics_routes(reporting: Reporting, require: Require) -> APIRouter:
    router = APIRouter(tags=["statistics"])
    Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]

    @router.get("/statistics", responses={**UNAUTHENTICATED, **INVALID})
    async def statistics(
        _: Viewer,
        first: Annotated[str | None, Query(alias="from", description="First day, "
                                           "YYYY-MM-DD (with `to`).")] = None,
        last: Annotated[str | None, Query(alias="to", description="Last day, included.")
                        ] = None,
        in_month: Annotated[str | None, Query(alias="month", description="YYYY-MM")] = None,
        in_quarter: Annotated[str | None, Query(alias="quarter", description="YYYY-Qn")
                              ] = None,
        in_term: Annotated[str | None, Query(alias="term", description="A term's name.")
                           ] = None,
    ) -> dict[str, Any]:
        """Alerts by category, zone, hour and weekday (site time, drills left out); time to
        acknowledge and resolve (p50, p90) per severity against the targets and per
        operator; false-alarm rates per device and rule; device availability per class;
        police linkage times; hazards; drills held against those required."""
        period = choose_period(reporting, first, last, in_month, in_quarter, in_term)
        return (await reporting.statistics(period)).to_dict(reporting.tz)

    return router
