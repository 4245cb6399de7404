import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { errorText, useLoad } from "../hooks";
import { label } from "../i18n";
import type { Mode, ModeListing } from "../types";
import { allows } from "../types";

function ModeTable({ modes, canEnd, onEnd }: { modes: Mode[]; canEnd: boolean; onEnd?(id: string): void }) {
  const { t } = useSession();
  if (modes.length === 0) return <p class="muted">{t("modes.none")}</p>;
  return (
    <div class="table-scroll">
      <table class="data-table">
        <thead><tr>
          <th scope="col">{t("modes.kind")}</th><th scope="col">{t("modes.target")}</th>
          <th scope="col">{t("modes.starts")}</th><th scope="col">{t("modes.until")}</th>
          <th scope="col">{t("modes.actor")}</th><th scope="col">{t("modes.note")}</th><th scope="col" />
        </tr></thead>
        <tbody>
          {modes.map((m) => (
            <tr key={m.id} data-mode-id={m.id}>
              <td><span class={`badge badge-${m.kind}`}>{t(m.kind === "drill" ? "mode.drill" : "mode.maintenance")}</span></td>
              <td>{m.kind === "drill" ? (m.zone ?? t("modes.wholeSite")) : `${m.device_id ?? ""} (${m.action})`}</td>
              <td>{formatDateTime(m.starts)}</td>
              <td>{m.ended_at ? `${t("modes.ended")} ${formatDateTime(m.ended_at)} · ${m.ended_by ?? ""}` : formatDateTime(m.until)}</td>
              <td>{m.actor}</td><td>{m.note}</td>
              <td>{canEnd && onEnd && !m.ended_at
                ? <button type="button" class="small" onClick={() => onEnd(m.id)}>{t("modes.end")}</button> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ModesView({ modes, reload }: { modes: ModeListing; reload(): void }) {
  const { t, me } = useSession();
  const supervisor = allows(me.role, "supervisor");
  const zones = useLoad(() => api.zones(), []);
  const audit = useLoad(() => api.modesAudit(), [modes]);
  const [zone, setZone] = useState("");
  const [minutes, setMinutes] = useState(30);
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const wrap = async (work: () => Promise<unknown>): Promise<void> => {
    setError("");
    try {
      await work();
      reload();
      audit.reload();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  return (
    <section id="modes-view" class="panel" aria-labelledby="modes-heading">
      <h2 id="modes-heading">{t("modes.heading")}</h2>
      {supervisor ? (
        <form class="action-form" onSubmit={(e) => { e.preventDefault(); void wrap(() => api.startDrill(zone || null, minutes, note)); }}>
          <label>{t("modes.zone")}
            <select value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
              <option value="">{t("modes.wholeSite")}</option>
              {(zones.data ?? []).map((z) => <option key={z.id} value={z.id}>{`${z.name} (${z.id})`}</option>)}
            </select>
          </label>
          <label>{t("modes.minutes")}
            <input type="number" min={1} value={minutes} onInput={(e) => setMinutes(Number(e.currentTarget.value) || 1)} />
          </label>
          <label>{t("modes.note")}<input value={note} onInput={(e) => setNote(e.currentTarget.value)} /></label>
          <button type="submit" class="primary">{t("modes.startDrill")}</button>
        </form>
      ) : <p class="muted">{t("modes.readOnly")}</p>}
      <div id="modes-error" class="error-text" role="alert">{error}</div>
      <h3>{t("modes.active")}</h3>
      <ModeTable modes={modes.active} canEnd={supervisor} onEnd={(id) => void wrap(() => api.endMode(id, ""))} />
      <h3>{t("modes.upcoming")}</h3>
      <ModeTable modes={modes.upcoming} canEnd={supervisor} onEnd={(id) => void wrap(() => api.endMode(id, ""))} />
      <h3>{t("modes.recent")}</h3>
      <ModeTable modes={modes.recent} canEnd={false} />
      <h3>{t("modes.audit")}</h3>
      {audit.data ? (
        <div class="table-scroll">
          <table class="data-table">
            <thead><tr><th scope="col">{t("audit.at")}</th><th scope="col">{t("modes.change")}</th>
              <th scope="col">{t("modes.kind")}</th><th scope="col">{t("modes.target")}</th>
              <th scope="col">{t("modes.actor")}</th><th scope="col">{t("modes.note")}</th></tr></thead>
            <tbody>
              {audit.data.map((a) => (
                <tr key={a.id}><td>{formatDateTime(a.at)}</td><td>{label(t, "change", a.change)}</td>
                  <td>{label(t, "mode", a.kind)}</td><td>{a.zone ?? a.device_id ?? t("modes.wholeSite")}</td>
                  <td>{a.actor}</td><td>{a.note}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : <p class="muted">{audit.error || "…"}</p>}
    </section>
  );
}
