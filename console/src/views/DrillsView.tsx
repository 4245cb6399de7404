import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { errorText, useLoad } from "../hooks";
import { label } from "../i18n";
import { DRILL_KINDS, type Drill, type DrillKind, seconds, statistics } from "../statistics";
import { allows } from "../types";
import "./stats.css";

function Report({ id }: { id: string }) {
  const { t } = useSession();
  const report = useLoad(() => statistics.drill(id), [id]);
  if (!report.data) return <p class="muted">{report.error || "…"}</p>;
  const { drill, alerts } = report.data;
  return (
    <div id="drill-report" aria-live="polite">
      <h3>{`${label(t, "drills.kind", drill.kind)} · ${drill.title}`}</h3>
      <p>{`${t("drills.started")}: ${formatDateTime(drill.started_at)} · ${t("drills.ended")}: ${formatDateTime(drill.ended_at)} · `
        + `${t("drills.evacuation")}: ${seconds(drill.evacuation_s)} · ${t("drills.participants")}: ${drill.participants ?? "—"} / ${drill.expected_participants}`}</p>
      {drill.notes ? <p>{drill.notes}</p> : null}
      {alerts.length ? (
        <table class="data-table"><thead><tr><th scope="col">{t("drills.alert")}</th><th scope="col">{t("drills.raised")}</th>
          <th scope="col">{t("drills.ack")}</th><th scope="col">{t("drills.dispatch")}</th><th scope="col">{t("drills.resolve")}</th></tr></thead>
        <tbody>{alerts.map((a) => (
          <tr key={a.id}><td>{a.title}</td><td>{formatDateTime(a.raised_at)}</td><td>{seconds(a.ack_s)}</td>
            <td>{seconds(a.dispatch_s)}</td><td>{seconds(a.resolve_s)}</td></tr>))}</tbody></table>
      ) : <p class="muted">{t("drills.noAlerts")}</p>}
    </div>
  );
}

export function DrillsView() {
  const { t, me } = useSession();
  const supervisor = allows(me.role, "supervisor");
  const listing = useLoad(() => statistics.drills(), []);
  const zones = useLoad(() => api.zones(), []);
  const [shown, setShown] = useState("");
  const [error, setError] = useState("");
  const [kind, setKind] = useState<DrillKind>("fire");
  const [title, setTitle] = useState("");
  const [zone, setZone] = useState("");
  const [start, setStart] = useState("");
  const [minutes, setMinutes] = useState(30);
  const [expected, setExpected] = useState(0);
  const [lead, setLead] = useState("");
  const [evacuation, setEvacuation] = useState("");
  const [participants, setParticipants] = useState("");
  const [notes, setNotes] = useState("");
  const wrap = async (work: () => Promise<unknown>): Promise<void> => {
    setError("");
    try {
      await work();
      listing.reload();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  const missing = (listing.data?.required ?? []).filter((r) => r.status === "missing");
  const actions = (d: Drill) => {
    if (!supervisor) return null;
    return (
      <>
        {d.state === "planned" && d.source === "console"
          ? <button type="button" class="small" onClick={() => void wrap(() => statistics.start(d.id))}>{t("drills.start")}</button> : null}
        {d.state === "running"
          ? <button type="button" class="small" onClick={() => void wrap(() => statistics.end(d.id))}>{t("drills.end")}</button> : null}
      </>
    );
  };
  const chosen = listing.data?.drills.find((d) => d.id === shown);
  const zoneName = (id: string | null): string => (id === null ? t("modes.wholeSite")
    : (zones.data ?? []).find((z) => z.id === id)?.name ?? id);
  return (
    <section id="drills-view" class="panel drills-view" aria-labelledby="drills-heading">
      <h2 id="drills-heading">{t("drills.heading")}</h2>
      {missing.length ? (
        <p class="stats-notice stats-missing" role="alert" id="drills-missing">
          {t("stats.missingDrills")}{missing.map((r) => `${r.term} ${label(t, "drills.kind", r.kind)} (${r.due_from} – ${r.due_until})`).join("；")}
        </p>
      ) : null}
      <h3>{t("drills.required")}</h3>
      <table class="data-table"><thead><tr><th scope="col">{t("drills.term")}</th><th scope="col">{t("drills.kindLabel")}</th>
        <th scope="col">{t("drills.due")}</th><th scope="col">{t("drills.status")}</th></tr></thead>
      <tbody>{(listing.data?.required ?? []).map((r) => (
        <tr key={`${r.term}-${r.kind}`}><td>{r.term}</td><td>{label(t, "drills.kind", r.kind)}</td>
          <td>{`${r.due_from} – ${r.due_until}`}</td><td class={`req-${r.status}`}>{label(t, "drills.req", r.status)}</td></tr>))}</tbody></table>
      {supervisor ? (
        <form class="stats-form" onSubmit={(e) => {
          e.preventDefault();
          void wrap(() => statistics.plan({ kind, title, zone: zone || null, start, minutes, expected_participants: expected, lead }));
        }}>
          <label>{t("drills.kindLabel")}
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value as DrillKind)}>
              {DRILL_KINDS.map((k) => <option key={k} value={k}>{label(t, "drills.kind", k)}</option>)}
            </select>
          </label>
          <label>{t("drills.title")}<input value={title} onInput={(e) => setTitle(e.currentTarget.value)} /></label>
          <label>{t("modes.zone")}
            <select value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
              <option value="">{t("modes.wholeSite")}</option>
              {(zones.data ?? []).map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
            </select>
          </label>
          <label>{t("drills.startAt")}<input type="datetime-local" required value={start} onInput={(e) => setStart(e.currentTarget.value)} /></label>
          <label>{t("modes.minutes")}<input type="number" min={1} max={1440} value={minutes} onInput={(e) => setMinutes(Number(e.currentTarget.value) || 1)} /></label>
          <label>{t("drills.expected")}<input type="number" min={0} value={expected} onInput={(e) => setExpected(Number(e.currentTarget.value) || 0)} /></label>
          <label>{t("drills.lead")}<input value={lead} onInput={(e) => setLead(e.currentTarget.value)} /></label>
          <button type="submit" class="primary">{t("drills.plan")}</button>
        </form>
      ) : null}
      <div class="error-text" role="alert">{error}</div>
      <h3>{t("drills.list")}</h3>
      <table class="data-table"><thead><tr><th scope="col">{t("drills.kindLabel")}</th><th scope="col">{t("drills.title")}</th>
        <th scope="col">{t("modes.zone")}</th><th scope="col">{t("drills.startAt")}</th><th scope="col">{t("drills.status")}</th>
        <th scope="col">{t("drills.evacuation")}</th><th scope="col" /></tr></thead>
      <tbody>{(listing.data?.drills ?? []).map((d) => (
        <tr key={d.id} data-drill-id={d.id}><td>{label(t, "drills.kind", d.kind)}</td><td>{d.title}</td>
          <td>{zoneName(d.zone)}</td><td>{formatDateTime(d.started_at ?? d.planned_start)}</td>
          <td>{label(t, "drills.state", d.state)}</td><td>{seconds(d.evacuation_s)}</td>
          <td><button type="button" class="small" onClick={() => setShown(d.id)}>{t("drills.report")}</button>{actions(d)}</td></tr>))}</tbody></table>
      {chosen ? (
        <>
          <Report id={chosen.id} key={`${chosen.id}-${chosen.evacuation_s ?? ""}-${chosen.state}`} />
          {supervisor && chosen.state !== "planned" ? (
            <form class="stats-form" onSubmit={(e) => {
              e.preventDefault();
              void wrap(() => statistics.record(chosen.id, { evacuation_s: evacuation ? Number(evacuation) : null,
                                                            participants: participants ? Number(participants) : null, notes }));
            }}>
              <label>{t("drills.evacuationS")}<input type="number" min={0} value={evacuation} onInput={(e) => setEvacuation(e.currentTarget.value)} /></label>
              <label>{t("drills.participants")}<input type="number" min={0} value={participants} onInput={(e) => setParticipants(e.currentTarget.value)} /></label>
              <label>{t("drills.notes")}<input value={notes} onInput={(e) => setNotes(e.currentTarget.value)} /></label>
              <button type="submit" class="primary">{t("drills.save")}</button>
            </form>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
