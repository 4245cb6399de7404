"""The reports' words in Chinese and English, and how their numbers are written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gateway.core.alerts import Category
from gateway.core.drills import DRILL_KIND_NAMES
from gateway.core.hazards import CATEGORY_NAMES, HazardCategory

Language = Literal["zh-CN", "en"]

_WORDS: dict[str, tuple[str, str]] = {
    "month": ("安全月报", "Monthly safety report"),
    "quarter": ("安全季报", "Quarterly safety report"),
    "term": ("学期安全报告", "Term safety report"),
    "range": ("安全统计报告", "Safety statistics report"),
    "period": ("报告期", "Period"),
    "generated": ("生成时间", "Generated"),
    "incomplete": ("本报告期尚未结束：数据截至 {as_of}，并不完整。",
                   "This period is not over: the figures stand at {as_of} and are incomplete."),
    "summary": ("概览", "Summary"),
    "alerts": ("报警总数（不含演练）", "Alerts (drills left out)"),
    "by_category": ("按类别的报警", "Alerts by category"),
    "by_zone": ("按区域的报警", "Alerts by zone"),
    "by_hour": ("按时段的报警", "Alerts by hour of day"),
    "by_weekday": ("按星期的报警", "Alerts by day of week"),
    "ack_by_severity": ("确认用时（按级别，对比目标）", "Time to acknowledge by severity"),
    "resolve_by_severity": ("处置用时（按级别）", "Time to resolve by severity"),
    "ack_by_operator": ("确认用时（按值班员）", "Time to acknowledge by operator"),
    "resolve_by_operator": ("处置用时（按值班员）", "Time to resolve by operator"),
    "false_by_device": ("误报率（按设备）", "False-alarm rate by device"),
    "false_by_rule": ("误报率（按规则）", "False-alarm rate by rule"),
    "availability": ("设备在线率（按类型）", "Device availability by class"),
    "police": ("警方联动用时", "Police linkage times"),
    "hazards": ("隐患排查整改", "Hazards"),
    "hazards_by_category": ("新增隐患（按类别）", "Hazards found by category"),
    "drills": ("应急演练（应开展 / 已开展）", "Drills required and held"),
    "drills_by_kind": ("已开展演练（按类型）", "Drills held by kind"),
    "missing_drills": ("缺少规定演练：", "Required drills missing: "),
    "signatures": ("审阅签字", "Review and signatures"),
    "principal": ("校长（签字）", "Principal (signature)"),
    "safety_chief": ("安全负责人（签字）", "Head of safety (signature)"),
    "date": ("日期", "Date"),
    "reviewed": ("以上统计经审阅无误。", "The figures above have been reviewed."),
    "none": ("本期无数据", "No data in this period"),
    # column headings
    "category": ("类别", "Category"), "zone": ("区域", "Zone"), "hour": ("时段", "Hour"),
    "weekday": ("星期", "Day"), "count": ("数量", "Count"), "severity": ("级别", "Severity"),
    "operator": ("值班员", "Operator"), "p50_s": ("中位数（秒）", "p50 (s)"),
    "p90_s": ("90%分位（秒）", "p90 (s)"), "target_s": ("目标（秒）", "Target (s)"),
    "within_target": ("达标数", "Within target"), "device": ("设备", "Device"),
    "rule": ("规则", "Rule"), "false_alarms": ("误报", "False alarms"),
    "rate": ("误报率", "Rate"), "device_class": ("设备类型", "Device class"),
    "devices": ("设备数", "Devices"), "offline_s": ("离线（秒）", "Offline (s)"),
    "availability_pct": ("在线率", "Availability"), "measure": ("指标", "Measure"),
    "figure": ("项目", "Figure"), "value": ("数值", "Value"), "term_name": ("学期", "Term"),
    "kind": ("类型", "Kind"), "due_from": ("起", "From"), "due_until": ("止", "Until"),
    "status": ("状态", "Status"), "met_by": ("对应演练", "Drill"),
    "alerts_n": ("报警数", "Alerts"),
    # figures
    "accepted": ("警方接警", "Police accepted"), "on_scene": ("警方到场", "Police on scene"),
    "opened": ("新增隐患", "Found"), "fixed": ("已整改", "Fixed"), "closed": ("已销账", "Closed"),
    "overdue": ("超期未整改", "Overdue"), "not_closed": ("未销账", "Not closed"),
    "major_not_closed": ("未销账重大隐患", "Major, not closed"),
    "age_p50_days": ("未销账隐患时长中位数（天）", "Age of those not closed, p50 (days)"),
    "age_max_days": ("未销账隐患最长时长（天）", "Age of those not closed, max (days)"),
    "held": ("已开展演练", "Drills held"),
    "met": ("已完成", "met"), "missing": ("缺失", "missing"), "pending": ("待开展", "pending"),
    "general": ("一般", "general"), "major": ("重大", "major"),
    "info": ("提示", "info"), "warning": ("警告", "warning"), "high": ("高", "high"),
    "critical": ("紧急", "critical"),
}

_ALERT_CATEGORIES: dict[str, tuple[str, str]] = {
    Category.PANIC: ("一键报警", "Panic"), Category.FIRE: ("火警", "Fire"),
    Category.INTRUSION: ("入侵", "Intrusion"), Category.PERIMETER: ("周界", "Perimeter"),
    Category.TRAFFIC: ("车辆交通", "Traffic"), Category.HAZARD: ("安全隐患", "Hazard"),
    Category.TAMPER: ("遮挡破坏", "Tamper"), Category.DEVICE_HEALTH: ("设备故障", "Device fault"),
    Category.MAINTENANCE: ("维护", "Maintenance"),
}

WEEKDAYS = (("周一", "Mon"), ("周二", "Tue"), ("周三", "Wed"), ("周四", "Thu"),
            ("周五", "Fri"), ("周六", "Sat"), ("周日", "Sun"))


class Words:
    """The words of one language."""

    def __init__(self, language: Language, zones: Mapping[str, str] | None = None) -> None:
        self.language = language
        self._en = language == "en"
        self._zones = dict(zones or {})

    def __call__(self, key: str, **values: str) -> str:
        pair = _WORDS[key]
        return (pair[1] if self._en else pair[0]).format(**values)

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self._en else pair[0]

    def alert_category(self, code: str) -> str:
        pair = _ALERT_CATEGORIES.get(code)
        return self.pick(pair) if pair else code

    def zone(self, zone_id: str) -> str:
        """A zone's name in the config (its id if it has none)."""
        return self._zones.get(zone_id, zone_id)

    def hazard_category(self, code: str) -> str:
        try:
            return self.pick(CATEGORY_NAMES[HazardCategory(code)])
        except ValueError:
            return code

    def drill_kind(self, code: str) -> str:
        names = DRILL_KIND_NAMES.get(code)  # type: ignore[call-overload]
        return self.pick(names) if names else code

    def term(self, code: str) -> str:
        """A code the words know (a severity, level, status), else the code itself."""
        pair = _WORDS.get(code)
        return self.pick(pair) if pair else code

    def weekday(self, index: int) -> str:
        return self.pick(WEEKDAYS[index])


def number(value: float | int | None) -> str:
    """A figure as printed: integers plain, seconds and days to one decimal, none a dash."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"
