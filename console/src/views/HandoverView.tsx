import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { errorText, useLoad } from "../hooks";
import { alertTitle } from "../i18n";
import type { Alert, Handover } from "../types";
import { allows } from "../types";

/** The alerts handed over, by title where the console knows them. */
function Ids({ ids, alerts }: { ids: string[]; alerts: ReadonlyMap<string, Alert> }) {
  const { language } = useSession();
  if (ids.length === 0) return <span class="muted">—</span>;
  return (
    <details>
      <summary>{ids.length}</summary>
      <ul class="plain">
        {ids.map((id) => {
          const alert = alerts.get(id);
          return <li key={id}>{alert ? alertTitle(language, alert) : <span class="mono">{id}</span>}</li>;
        })}
      </ul>
    </details>
  );
}

function HandoverCard({ handover, alerts }: { handover: Handover; alerts: ReadonlyMap<string, Alert> }) {
  const { t } = useSession();
  return (
    <dl class="facts">
      <dt>{t("handover.from")}</dt><dd>{handover.from_user}</dd>
      <dt>{t("handover.at")}</dt><dd>{formatDateTime(handover.at)}</dd>
      <dt>{t("handover.note")}</dt><dd class="pre">{handover.note}</dd>
      <dt>{t("handover.open")}</dt><dd><Ids ids={handover.open} alerts={alerts} /></dd>
      <dt>{t("handover.claimed")}</dt><dd><Ids ids={handover.claimed} alerts={alerts} /></dd>
      <dt>{t("handover.snoozed")}</dt><dd><Ids ids={handover.snoozed} alerts={alerts} /></dd>
      {handover.accepted_by ? <><dt>{t("handover.acceptedBy")}</dt>
        <dd>{handover.accepted_by} · {formatDateTime(handover.accepted_at)}</dd></> : null}
    </dl>
  );
}

export function HandoverView({ alerts }: { alerts: ReadonlyMap<string, Alert> }) {
  const { t, me } = useSession();
  const listing = useLoad(() => api.handover(), [], 15000);
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const operator = allows(me.role, "operator");
  const wrap = async (work: () => Promise<unknown>): Promise<void> => {
    setError("");
    try {
      await work();
      setNote("");
      listing.reload();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  if (listing.missing) return <section class="panel"><p class="muted">{t("common.unavailable")}</p></section>;
  const pending = listing.data?.pending ?? null;
  return (
    <section id="handover" class="panel" aria-labelledby="handover-heading">
      <h2 id="handover-heading">{t("handover.heading")}</h2>
      <h3>{t("handover.pending")}</h3>
      {pending ? (
        <div class="card">
          <HandoverCard handover={pending} alerts={alerts} />
          {operator && pending.from_user !== me.name ? (
            <button type="button" class="primary" onClick={() => void wrap(() => api.acceptHandover(pending.id, note))}>
              {t("handover.accept")}</button>
          ) : null}
        </div>
      ) : <p class="muted">{t("handover.none")}</p>}
      {operator ? (
        <form class="stack-form" onSubmit={(e) => { e.preventDefault(); void wrap(() => api.writeHandover(note)); }}>
          <label>{t("handover.write")}
            <textarea rows={4} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={note.trim() === ""}>{t("handover.submit")}</button>
        </form>
      ) : null}
      <div class="error-text" role="alert">{error || listing.error}</div>
      <h3>{t("handover.recent")}</h3>
      {(listing.data?.recent ?? []).map((h) => <div class="card" key={h.id}><HandoverCard handover={h} alerts={alerts} /></div>)}
    </section>
  );
}
