"""Where and when reports are written: `reports: {directory: var/reports, monthly: true}`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from gateway.core.config import StrictModel


class ReportsConfig(StrictModel):
    """The reports generated on schedule."""

    directory: Path = Field(default=Path("var/reports"),
                            description="Where scheduled reports are written.")
    monthly: bool = Field(default=True,
                          description="Write the last month's report on the 1st of each "
                                      "month at `hour` (site time).")
    hour: int = Field(default=6, ge=0, le=23, description="Hour of day of the scheduled run.")
    language: Literal["zh-CN", "en"] = Field(default="zh-CN",
                                             description="Language of scheduled reports.")
