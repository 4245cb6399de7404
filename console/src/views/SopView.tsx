import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import { errorText, useLoad } from "../hooks";
import { label } from "../i18n";
import type { Sop, SopStep } from "../types";
import { allows } from "../types";

function isStep(value: unknown): value is SopStep {
  if (value === null || typeof value !== "object") return false;
  const s = value as Record<string, unknown>;
  return typeof s.id === "string" && typeof s.kind === "string" && typeof s.text === "string";
}

function SopEditor({ sop, onSaved, onCancel }: { sop: Sop; onSaved(): void; onCancel(): void }) {
  const { t } = useSession();
  const [title, setTitle] = useState(sop.title);
  const [titleEn, setTitleEn] = useState(sop.title_en);
  const [steps, setSteps] = useState(JSON.stringify(sop.steps, null, 2));
  const [error, setError] = useState("");
  const save = async (): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(steps);
    } catch (failure) {
      setError(t("sops.invalid") + errorText(failure));
      return;
    }
    if (!Array.isArray(parsed) || !parsed.every(isStep)) {
      setError(t("sops.invalid") + "[{id, kind, text, text_en, required, number}]");
      return;
    }
    try {
      await api.saveSop(sop.id, { title, title_en: titleEn, category: sop.category, steps: parsed });
      onSaved();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  return (
    <form class="stack-form" onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <label>{t("sops.titleZh")}<input value={title} onInput={(e) => setTitle(e.currentTarget.value)} /></label>
      <label>{t("sops.titleEn")}<input value={titleEn} onInput={(e) => setTitleEn(e.currentTarget.value)} /></label>
      <label>{t("sops.json")}<textarea class="mono" rows={12} value={steps} onInput={(e) => setSteps(e.currentTarget.value)} /></label>
      <div class="error-text" role="alert">{error}</div>
      <div class="button-row">
        <button type="submit" class="primary">{t("sops.save")}</button>
        <button type="button" onClick={onCancel}>{t("sops.cancel")}</button>
      </div>
    </form>
  );
}

export function SopView() {
  const { t, me, language } = useSession();
  const sops = useLoad(() => api.sops(), []);
  const [editing, setEditing] = useState<string | null>(null);
  const supervisor = allows(me.role, "supervisor");
  if (sops.missing) return <section class="panel"><p class="muted">{t("common.unavailable")}</p></section>;
  return (
    <section id="sops" class="panel" aria-labelledby="sops-heading">
      <h2 id="sops-heading">{t("sops.heading")}</h2>
      {sops.error ? <p class="error-text">{t("common.error")}{sops.error}</p> : null}
      {sops.data !== null && sops.data.length === 0 ? <p class="muted">{t("sops.none")}</p> : null}
      {(sops.data ?? []).map((sop) => (
        <article key={sop.id} class="card" data-sop-id={sop.id}>
          <h3>{language === "en" && sop.title_en ? sop.title_en : sop.title}
            <span class="muted"> · {sop.id} · {t("sops.version", { n: sop.version })}
              {sop.category ? ` · ${label(t, "category", sop.category)}` : ""}</span></h3>
          {editing === sop.id ? (
            <SopEditor sop={sop} onCancel={() => setEditing(null)} onSaved={() => { setEditing(null); sops.reload(); }} />
          ) : (
            <>
              <ol class="checklist">
                {sop.steps.map((s) => (
                  <li key={s.id} class="step">
                    <span class="step-kind">{label(t, "stepKind", s.kind)}</span>
                    {language === "en" && s.text_en ? s.text_en : s.text}
                    {s.number ? <span class="call-number small">{s.number}</span> : null}
                    {s.required ? <span class="badge badge-required">{t("detail.required")}</span> : null}
                  </li>
                ))}
              </ol>
              <p class="muted">{t("sops.editedBy", { by: sop.edited_by, at: formatDateTime(sop.edited_at) })}</p>
              {supervisor ? <button type="button" onClick={() => setEditing(sop.id)}>{t("sops.edit")}</button> : null}
            </>
          )}
        </article>
      ))}
    </section>
  );
}
