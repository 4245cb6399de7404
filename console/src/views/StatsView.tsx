import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { Chart } from "../components/LazyChart";
import type { ChartOption } from "../components/EChart";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { hazards } from "../hazards";
import { useLoad } from "../hooks";
import { label, type Translate } from "../i18n";
import {
  type Count, type FalseAlarms, type PeriodKind, percent, reportUrl, seconds, statistics,
  type Times, thisMonth,
} from "../statistics";
import { allows } from "../types";
import "./stats.css";

const BIG = { fontSize: 18 };
const GRID = { left: 8, right: 24, top: 40, bottom: 8, containLabel: true };
const BAR = "#6cb6ff";
const SERIES = ["#6cb6ff", "#ff9f43"];
const TOP = 12;

function bars(labels: string[], values: number[], horizontal = false): ChartOption {
  const category = { type: "category" as const, data: labels, axisLabel: BIG };
  const value = { type: "value" as const, minInterval: 1, axisLabel: BIG };
  return {
    tooltip: { trigger: "axis", textStyle: BIG }, grid: GRID,
    xAxis: horizontal ? value : category, yAxis: horizontal ? { ...category, inverse: true } : value,
    series: [{ type: "bar", data: values, itemStyle: { color: BAR }, label: { show: values.length <= 12, position: horizontal ? "right" : "top", ...BIG } }],
  };
}

function timeBars(rows: Times[], names: (group: string) => string, t: Translate, targets: boolean): ChartOption {
  const series: ChartOption["series"] = [
    { type: "bar", name: "p50", data: rows.map((r) => r.p50_s ?? 0), itemStyle: { color: SERIES[0] } },
    { type: "bar", name: "p90", data: rows.map((r) => r.p90_s ?? 0), itemStyle: { color: SERIES[1] } },
  ];
  if (targets) {
    // each severity's target as a red mark across its bars, not joined to the next
    series.push({ type: "line", name: t("stats.target"), data: rows.map((r) => r.target_s ?? null),
                  lineStyle: { width: 0 }, itemStyle: { color: "#ff6b6b" }, symbol: "rect", symbolSize: [120, 5] });
  }
  return {
    tooltip: { trigger: "axis", textStyle: BIG }, legend: { textStyle: BIG, top: 0 }, grid: GRID,
    xAxis: { type: "category", data: rows.map((r) => names(r.group)), axisLabel: BIG },
    yAxis: { type: "value", name: t("stats.seconds"), nameTextStyle: BIG, axisLabel: BIG }, series,
  };
}

function Card({ id, title, option, rows, height }: {
  id: string; title: string; option: ChartOption | null; rows: (string | number)[][]; height?: number;
}) {
  const { t } = useSession();
  return (
    <section class="stats-card" id={`stats-${id}`} aria-labelledby={`stats-${id}-h`}>
      <h3 id={`stats-${id}-h`}>{title}</h3>
      {option && rows.length ? <Chart option={option} label={title} height={height} /> : <p class="muted">{t("stats.none")}</p>}
      {rows.length ? (
        <details>
          <summary>{t("stats.data")}</summary>
          <table class="data-table"><tbody>
            {rows.map((row, i) => <tr key={i}>{row.map((cell, j) => j === 0 ? <th scope="row" key={j}>{cell}</th> : <td key={j}>{cell}</td>)}</tr>)}
          </tbody></table>
        </details>
      ) : null}
    </section>
  );
}

function countRows(rows: Count[], name: (key: string) => string): (string | number)[][] {
  return rows.map((r) => [name(r.key), r.count]);
}

function falseRows(rows: FalseAlarms[]): (string | number)[][] {
  return rows.map((r) => [r.key, `${r.false_alarms} / ${r.alerts}`, percent(r.rate)]);
}

export function StatsView() {
  const { t, me, language } = useSession();
  const [kind, setKind] = useState<PeriodKind>("month");
  const [value, setValue] = useState(thisMonth());
  const [asked, setAsked] = useState<[PeriodKind, string]>(["month", thisMonth()]);
  const stats = useLoad(() => statistics.get(asked[0], asked[1]), [asked[0], asked[1]]);
  const categories = useLoad(() => hazards.categories(), []);
  const zones = useLoad(() => api.zones(), []);
  const zoneName = (id: string): string => (zones.data ?? []).find((z) => z.id === id)?.name ?? id;
  const hazardName = (code: string): string => {
    const found = (categories.data ?? []).find((c) => c.id === code);
    return found ? (language === "en" ? found.en : found.zh) : code;
  };
  const s = stats.data;
  const weekdays = t("stats.weekdays").split(",");
  const charts = useMemo(() => {
    if (!s) return null;
    const cat = (k: string) => label(t, "category", k);
    const sev = (k: string) => label(t, "severity", k);
    const fd = s.false_by_device.slice(0, TOP);
    const fr = s.false_by_rule.slice(0, TOP);
    return {
      category: bars(s.by_category.map((c) => cat(c.key)), s.by_category.map((c) => c.count), true),
      zone: bars(s.by_zone.slice(0, TOP).map((c) => zoneName(c.key)), s.by_zone.slice(0, TOP).map((c) => c.count), true),
      hour: bars(s.by_hour.map((_, h) => String(h).padStart(2, "0")), s.by_hour),
      weekday: bars(weekdays, s.by_weekday),
      ack: timeBars(s.ack_by_severity, sev, t, true),
      resolve: timeBars(s.resolve_by_severity, sev, t, false),
      ackOperator: timeBars(s.ack_by_operator.slice(0, TOP), (g) => g, t, false),
      resolveOperator: timeBars(s.resolve_by_operator.slice(0, TOP), (g) => g, t, false),
      falseDevice: bars(fd.map((r) => r.key), fd.map((r) => Math.round(r.rate * 1000) / 10), true),
      falseRule: bars(fr.map((r) => r.key), fr.map((r) => Math.round(r.rate * 1000) / 10), true),
      availability: bars(s.availability.map((a) => a.device_class), s.availability.map((a) => Math.round(a.availability * 10000) / 100), true),
      police: timeBars([{ ...s.police_accepted, group: t("stats.policeAccepted") }, { ...s.police_on_scene, group: t("stats.policeOnScene") }], (g) => g, t, false),
      hazards: bars(s.hazards.by_category.map((c) => hazardName(c.key)), s.hazards.by_category.map((c) => c.count), true),
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [s, language, categories.data, zones.data]);
  const timeRows = (rows: Times[], name: (g: string) => string, targets: boolean) => rows.map((r) => [
    name(r.group), r.count, `p50 ${seconds(r.p50_s)}`, `p90 ${seconds(r.p90_s)}`,
    ...(targets ? [`${t("stats.target")} ${seconds(r.target_s)}`, `${r.within_target ?? 0}/${r.count}`] : [])]);
  const missing = s ? s.drills.required.filter((r) => r.status === "missing") : [];
  const critical = s?.ack_by_severity.find((r) => r.group === "critical");
  const lowest = s?.availability.reduce<number | null>((low, a) => (low === null || a.availability < low ? a.availability : low), null);
  return (
    <section id="stats-view" class="panel" aria-labelledby="stats-heading">
      <h2 id="stats-heading">{t("stats.heading")}</h2>
      <form class="stats-form" onSubmit={(e) => { e.preventDefault(); setAsked([kind, value]); }}>
        <label>{t("stats.periodKind")}
          <select id="stats-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as PeriodKind)}>
            <option value="month">{t("stats.month")}</option>
            <option value="quarter">{t("stats.quarter")}</option>
            <option value="term">{t("stats.term")}</option>
          </select>
        </label>
        <label>{t("stats.period")}
          <input id="stats-period" value={value} onInput={(e) => setValue(e.currentTarget.value)}
                 placeholder={kind === "month" ? "2026-11" : kind === "quarter" ? "2026-Q4" : "autumn-2026"} />
        </label>
        <button type="submit" class="primary" id="stats-show">{t("stats.show")}</button>
        {allows(me.role, "supervisor") ? (
          <a class="button-link" id="stats-report" href={reportUrl(asked[0], asked[1], language)} download>
            {t("stats.download")}
          </a>
        ) : null}
      </form>
      {stats.error ? <p class="error-text" role="alert">{stats.error}</p> : null}
      {s ? (
        <>
          <p class="muted" id="stats-range">{`${s.period.first} – ${s.period.last}`}</p>
          {!s.complete ? <p class="stats-notice" role="status">{t("stats.incomplete", { at: formatDateTime(s.as_of) })}</p> : null}
          {missing.length ? (
            <p class="stats-notice stats-missing" id="stats-missing-drills" role="alert">
              {t("stats.missingDrills")}{missing.map((r) => `${r.term} ${label(t, "drills.kind", r.kind)} (${r.due_from} – ${r.due_until})`).join("；")}
            </p>
          ) : null}
          <div class="stats-kpis">
            <div class="stats-kpi" id="kpi-alerts"><div class="value">{s.alerts}</div><div class="name">{t("stats.alerts")}</div></div>
            <div class={`stats-kpi ${critical && critical.target_s !== null && (critical.p90_s ?? 0) > critical.target_s ? "bad" : ""}`}>
              <div class="value">{seconds(critical?.p90_s)}</div><div class="name">{t("stats.ackCriticalP90")}</div></div>
            <div class="stats-kpi"><div class="value">{lowest === null || lowest === undefined ? "—" : percent(lowest)}</div><div class="name">{t("stats.lowestAvailability")}</div></div>
            <div class={`stats-kpi ${s.hazards.overdue ? "bad" : ""}`} id="kpi-overdue"><div class="value">{s.hazards.overdue}</div><div class="name">{t("stats.overdue")}</div></div>
            <div class={`stats-kpi ${s.hazards.major_not_closed ? "bad" : ""}`}><div class="value">{s.hazards.major_not_closed}</div><div class="name">{t("stats.majorOpen")}</div></div>
            <div class={`stats-kpi ${missing.length ? "bad" : ""}`} id="kpi-drills"><div class="value">{`${s.drills.held} / ${s.drills.required.length}`}</div><div class="name">{t("stats.drillsHeld")}</div></div>
          </div>
          {charts ? (
            <div class="stats-grid">
              <Card id="category" title={t("stats.byCategory")} option={charts.category} rows={countRows(s.by_category, (k) => label(t, "category", k))} />
              <Card id="zone" title={t("stats.byZone")} option={charts.zone} rows={countRows(s.by_zone, zoneName)} />
              <Card id="hour" title={t("stats.byHour")} option={charts.hour} rows={s.alerts ? s.by_hour.map((n, h) => [String(h).padStart(2, "0"), n]) : []} />
              <Card id="weekday" title={t("stats.byWeekday")} option={charts.weekday} rows={s.alerts ? s.by_weekday.map((n, d) => [weekdays[d] ?? String(d), n]) : []} />
              <Card id="ack" title={t("stats.ackBySeverity")} option={charts.ack} rows={timeRows(s.ack_by_severity, (g) => label(t, "severity", g), true)} />
              <Card id="resolve" title={t("stats.resolveBySeverity")} option={charts.resolve} rows={timeRows(s.resolve_by_severity, (g) => label(t, "severity", g), false)} />
              <Card id="ack-operator" title={t("stats.ackByOperator")} option={charts.ackOperator} rows={timeRows(s.ack_by_operator, (g) => g, false)} />
              <Card id="resolve-operator" title={t("stats.resolveByOperator")} option={charts.resolveOperator} rows={timeRows(s.resolve_by_operator, (g) => g, false)} />
              <Card id="false-device" title={t("stats.falseByDevice")} option={charts.falseDevice} rows={falseRows(s.false_by_device)} />
              <Card id="false-rule" title={t("stats.falseByRule")} option={charts.falseRule} rows={falseRows(s.false_by_rule)} />
              <Card id="availability" title={t("stats.availability")} option={charts.availability} rows={s.availability.map((a) => [a.device_class, a.devices, percent(a.availability)])} />
              <Card id="police" title={t("stats.police")} option={charts.police} rows={s.police_accepted.count || s.police_on_scene.count ? timeRows([{ ...s.police_accepted, group: t("stats.policeAccepted") }, { ...s.police_on_scene, group: t("stats.policeOnScene") }], (g) => g, false) : []} />
              <Card id="hazards" title={t("stats.hazards")} option={charts.hazards} rows={[
                [t("stats.hazardsOpened"), s.hazards.opened], [t("stats.hazardsFixed"), s.hazards.fixed],
                [t("stats.hazardsClosed"), s.hazards.closed], [t("stats.overdue"), s.hazards.overdue],
                [t("stats.hazardsNotClosed"), s.hazards.not_closed],
                [t("stats.hazardsAge"), `p50 ${s.hazards.age_p50_days ?? "—"} · max ${s.hazards.age_max_days ?? "—"}`]]} />
              <section class="stats-card" id="stats-drills" aria-labelledby="stats-drills-h">
                <h3 id="stats-drills-h">{t("stats.drills")}</h3>
                {s.drills.required.length ? (
                  <table class="data-table"><thead><tr><th scope="col">{t("drills.term")}</th><th scope="col">{t("drills.kindLabel")}</th>
                    <th scope="col">{t("drills.due")}</th><th scope="col">{t("drills.status")}</th></tr></thead>
                  <tbody>{s.drills.required.map((r) => (
                    <tr key={`${r.term}-${r.kind}`}><td>{r.term}</td><td>{label(t, "drills.kind", r.kind)}</td>
                      <td>{`${r.due_from} – ${r.due_until}`}</td><td class={`req-${r.status}`}>{label(t, "drills.req", r.status)}</td></tr>))}
                  </tbody></table>
                ) : <p class="muted">{t("stats.none")}</p>}
              </section>
            </div>
          ) : null}
        </>
      ) : (!stats.error ? <p class="muted">…</p> : null)}
    </section>
  );
}
