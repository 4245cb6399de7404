import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { FloorPlan } from "../components/LazyFloorPlan";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import {
  dateIn, hazards, offeredSteps, type Finding, type Hazard, type HazardAction, type HazardCategory,
  type HazardLevel, type HazardQuery, type PhotoStage,
} from "../hazards";
import { errorText, useLoad } from "../hooks";
import { label, type Translate } from "../i18n";
import type { Alert, Device, Language, Plan, Zone } from "../types";
import { allows } from "../types";

const STATES: HazardQuery["state"][] = ["open", "overdue", "closed", "all"];

/** A deadline or due day as the school's own date (the ISO string carries the site's offset). */
function siteDate(iso: string): string {
  return iso.slice(0, 10);
}

function categoryName(h: Hazard, language: Language): string {
  return language === "en" ? h.category_name.en : h.category_name.zh;
}

function StateBadge({ hazard }: { hazard: Hazard }) {
  const { t } = useSession();
  return (
    <>
      <span class={`badge hazard-state hazard-${hazard.state}`}>{label(t, "hazardState", hazard.state)}</span>
      {hazard.overdue ? <span class="badge badge-overdue">{t("hazards.overdue")}</span> : null}
    </>
  );
}

function escalation(t: Translate, hazard: Hazard): string {
  return hazard.escalation_level >= 2 ? t("hazards.escalated2")
    : hazard.escalation_level === 1 ? t("hazards.escalated1") : "";
}

/** The register: counts, filters and the table; a row opens the hazard. */
export function HazardsView({ devices, plans, alerts, fromAlert, onFromAlertDone }: {
  devices: Device[]; plans: Plan[] | null; alerts: Alert[];
  fromAlert: Alert | null; onFromAlertDone(): void;
}) {
  const { t, me, language } = useSession();
  const [filter, setFilter] = useState<HazardQuery>({ state: "open", level: "", category: "", zone: "", responsible: "", mine: false });
  const [openId, setOpenId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const list = useLoad(() => hazards.list(filter), [filter.state, filter.level, filter.category, filter.zone, filter.responsible, filter.mine], 30_000);
  const people = useLoad(() => (allows(me.role, "operator") ? hazards.people() : Promise.resolve([])), []);
  const all = useLoad(() => hazards.list({ state: "open" }), [openId, creating], 30_000);
  const categories = useLoad(() => hazards.categories(), []);
  const zones = useLoad(() => api.zones(), []);
  const operator = allows(me.role, "operator");
  useEffect(() => { if (fromAlert) { setCreating(true); setOpenId(null); } }, [fromAlert]);
  const zoneName = (id: string): string => (zones.data ?? []).find((z) => z.id === id)?.name ?? id;
  const reload = (): void => { list.reload(); all.reload(); };

  if (openId !== null) {
    return <HazardPage id={openId} devices={devices} plans={plans} alerts={alerts} zoneName={zoneName}
                       onBack={() => { setOpenId(null); reload(); }} />;
  }
  const open = all.data ?? [];
  const counts = { open: open.length, overdue: open.filter((h) => h.overdue).length,
                   major: open.filter((h) => h.level === "major").length };
  const set = (change: Partial<HazardQuery>): void => setFilter({ ...filter, ...change });
  return (
    <section id="hazards-view" class="panel" aria-labelledby="hazards-heading">
      <div class="view-head">
        <h2 id="hazards-heading">{t("hazards.heading")}</h2>
        {operator && !creating ? <button type="button" class="primary" id="hazard-new" onClick={() => setCreating(true)}>{t("hazards.new")}</button> : null}
      </div>
      <ul class="hazard-counts plain" aria-live="polite">
        <li><span class="count">{counts.open}</span>{t("hazards.count.open")}</li>
        <li class={counts.overdue ? "late" : ""}><span class="count">{counts.overdue}</span>{t("hazards.count.overdue")}</li>
        <li class={counts.major ? "major" : ""}><span class="count">{counts.major}</span>{t("hazards.count.major")}</li>
      </ul>
      {creating ? (
        <NewHazardForm categories={categories.data ?? []} zones={zones.data ?? []} devices={devices} fromAlert={fromAlert}
                       onDone={(made) => { setCreating(false); onFromAlertDone(); reload(); if (made) setOpenId(made); }} />
      ) : null}
      <InspectionPanel categories={categories.data ?? []} zones={zones.data ?? []} onDone={reload} />
      <form class="action-form hazard-filters" onSubmit={(e) => e.preventDefault()} aria-label={t("hazards.filter.state")}>
        <label>{t("hazards.filter.state")}
          <select id="hazard-filter-state" value={filter.state} onChange={(e) => set({ state: e.currentTarget.value as HazardQuery["state"] })}>
            {STATES.map((s) => <option key={s} value={s}>{label(t, "hazards.filter", s)}</option>)}
          </select>
        </label>
        <label>{t("hazards.filter.level")}
          <select value={filter.level} onChange={(e) => set({ level: e.currentTarget.value as HazardLevel | "" })}>
            <option value="">{t("hazards.filter.any")}</option>
            <option value="general">{t("hazardLevel.general")}</option>
            <option value="major">{t("hazardLevel.major")}</option>
          </select>
        </label>
        <label>{t("hazards.filter.category")}
          <select value={filter.category} onChange={(e) => set({ category: e.currentTarget.value })}>
            <option value="">{t("hazards.filter.any")}</option>
            {(categories.data ?? []).map((c) => <option key={c.id} value={c.id}>{language === "en" ? c.en : c.zh}</option>)}
          </select>
        </label>
        <label>{t("hazards.filter.zone")}
          <select value={filter.zone} onChange={(e) => set({ zone: e.currentTarget.value })}>
            <option value="">{t("hazards.filter.any")}</option>
            {(zones.data ?? []).map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
          </select>
        </label>
        {(people.data ?? []).length > 0 ? (
          <label>{t("hazards.responsible")}
            <select value={filter.responsible} onChange={(e) => set({ responsible: e.currentTarget.value })}>
              <option value="">{t("hazards.filter.any")}</option>
              {(people.data ?? []).map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
            </select>
          </label>
        ) : null}
        <label class="check">
          <input type="checkbox" id="hazard-filter-mine" checked={filter.mine} onChange={(e) => set({ mine: e.currentTarget.checked })} />
          {t("hazards.filter.mine")}
        </label>
      </form>
      {list.data === null ? <p class="muted">{list.error || "…"}</p> : list.data.length === 0 ? (
        <p class="muted" id="hazards-empty">{t("hazards.none")}</p>
      ) : (
        <div class="table-scroll">
          <table class="data-table hazard-table">
            <thead><tr>
              <th scope="col">{t("hazards.id")}</th><th scope="col">{t("hazards.title")}</th>
              <th scope="col">{t("hazards.category")}</th><th scope="col">{t("hazards.level")}</th>
              <th scope="col">{t("hazards.zone")}</th><th scope="col">{t("hazards.responsible")}</th>
              <th scope="col">{t("hazards.deadline")}</th><th scope="col">{t("hazards.state")}</th>
            </tr></thead>
            <tbody>
              {list.data.map((h) => (
                <tr key={h.id} data-hazard-id={h.id} class={h.overdue ? "hazard-row late" : "hazard-row"}>
                  <td><button type="button" class="link" onClick={() => setOpenId(h.id)}>{h.id}</button></td>
                  <td>{h.title}</td><td>{categoryName(h, language)}</td>
                  <td>{h.level === "major" ? <span class="badge badge-major">{t("hazardLevel.major")}</span> : t("hazardLevel.general")}</td>
                  <td>{zoneName(h.zone)}</td><td>{h.responsible}</td>
                  <td>{siteDate(h.deadline)}{escalation(t, h) ? <div class="small-text">{escalation(t, h)}</div> : null}</td>
                  <td><StateBadge hazard={h} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function NewHazardForm({ categories, zones, devices, fromAlert, onDone }: {
  categories: HazardCategory[]; zones: Zone[]; devices: Device[]; fromAlert: Alert | null; onDone(made: string | null): void;
}) {
  const { t, language } = useSession();
  const people = useLoad(() => hazards.people(), []);
  const [zone, setZone] = useState(fromAlert?.zone ?? zones[0]?.id ?? "");
  const [category, setCategory] = useState("");
  const [level, setLevel] = useState<HazardLevel>("general");
  const [title, setTitle] = useState(fromAlert?.title ?? "");
  const [description, setDescription] = useState("");
  const [responsible, setResponsible] = useState("");
  const [deadline, setDeadline] = useState(dateIn(7));
  const [device, setDevice] = useState(fromAlert?.device_id ?? "");
  const [error, setError] = useState("");
  const submit = async (): Promise<void> => {
    setError("");
    try {
      const made = await hazards.add({
        zone: zone || undefined, category: category || undefined, level, title, description, responsible, deadline,
        alert_id: fromAlert?.id, device_id: device || undefined,
      });
      onDone(made.id);
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  return (
    <form class="stack-form card" id="hazard-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <h3>{fromAlert ? `${t("hazards.fromAlert")} · ${fromAlert.title}` : t("hazards.new")}</h3>
      <div class="form-grid">
        <label>{t("hazards.zone")}
          <select id="hazard-zone" value={zone} onChange={(e) => setZone(e.currentTarget.value)}>
            {zones.map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
          </select>
        </label>
        <label>{t("hazards.category")}
          <select id="hazard-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">{fromAlert ? "—" : t("hazards.filter.any")}</option>
            {categories.map((c) => <option key={c.id} value={c.id}>{language === "en" ? c.en : c.zh}</option>)}
          </select>
        </label>
        <label>{t("hazards.level")}
          <select id="hazard-level" value={level} onChange={(e) => setLevel(e.currentTarget.value as HazardLevel)}>
            <option value="general">{t("hazardLevel.general")}</option>
            <option value="major">{t("hazardLevel.major")}</option>
          </select>
        </label>
        <label>{t("hazards.device")}
          <select id="hazard-device" value={device} onChange={(e) => setDevice(e.currentTarget.value)}>
            <option value="">—</option>
            {devices.filter((d) => d.zone === zone).map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
        </label>
      </div>
      <label>{t("hazards.title")}<input id="hazard-title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} /></label>
      <label>{t("hazards.description")}<textarea id="hazard-description" rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
      <div class="form-grid">
        <label>{t("hazards.responsible")}
          <select id="hazard-responsible" required value={responsible} onChange={(e) => setResponsible(e.currentTarget.value)}>
            <option value="">—</option>
            {(people.data ?? []).map((p) => <option key={p.name} value={p.name}>{`${p.name} (${label(t, "role", p.role)})`}</option>)}
          </select>
        </label>
        <label>{t("hazards.deadline")}<input id="hazard-deadline" type="date" required value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} /></label>
      </div>
      <div id="hazard-form-error" class="error-text" role="alert">{error}</div>
      <div class="button-row">
        <button type="submit" class="primary" id="hazard-submit">{t("hazards.submit")}</button>
        <button type="button" onClick={() => onDone(null)}>{t("hazards.cancel")}</button>
      </div>
    </form>
  );
}

/** One hazard: its facts, where it is, its photos, its history, and the steps I may take. */
function HazardPage({ id, devices, plans, alerts, zoneName, onBack }: {
  id: string; devices: Device[]; plans: Plan[] | null; alerts: Alert[]; zoneName(id: string): string; onBack(): void;
}) {
  const { t, me, language } = useSession();
  const loaded = useLoad(() => hazards.get(id), [id]);
  const people = useLoad(() => (allows(me.role, "supervisor") ? hazards.people() : Promise.resolve([])), []);
  const [note, setNote] = useState("");
  const [responsible, setResponsible] = useState("");
  const [deadline, setDeadline] = useState(dateIn(7));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const hazard = loaded.data;
  const run = async (work: () => Promise<unknown>): Promise<void> => {
    setError("");
    setBusy(true);
    try {
      await work();
      setNote("");
      loaded.reload();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  if (hazard === null) return <section class="panel"><p class="muted">{loaded.error || "…"}</p></section>;
  const steps = offeredSteps(hazard, me, allows);
  const plan = plans?.find((p) => p.id === hazard.plan);
  const cameras = devices.filter((d) => d.zone === hazard.zone && d.type.includes("camera"));
  // A photo is of the hazard as found, of the fix (by the person fixing it) or of the check.
  const stage: PhotoStage = hazard.state !== "open" ? "verify" : hazard.responsible === me.name ? "fix" : "found";
  const act = (action: HazardAction): Promise<void> => run(() => hazards.act(hazard.id, action, action === "plan"
    ? { fix_plan: note } : action === "reassign" ? { responsible, deadline, note } : { note }));
  return (
    <section id="hazard-page" class="panel" aria-labelledby="hazard-heading" data-hazard-id={hazard.id}>
      <button type="button" class="small" id="hazard-back" onClick={onBack}>← {t("hazards.back")}</button>
      <h2 id="hazard-heading">{hazard.id} · {hazard.title}</h2>
      <p><StateBadge hazard={hazard} />
        {hazard.level === "major" ? <span class="badge badge-major">{t("hazardLevel.major")}</span> : null}
        {escalation(t, hazard) ? <span class="badge badge-escalated">{escalation(t, hazard)}</span> : null}
        {hazard.reopened ? <span class="muted">{t("hazards.reopened", { n: hazard.reopened })}</span> : null}</p>
      <dl class="facts">
        <dt>{t("hazards.category")}</dt><dd>{categoryName(hazard, language)}</dd>
        <dt>{t("hazards.zone")}</dt><dd>{zoneName(hazard.zone)}</dd>
        <dt>{t("hazards.responsible")}</dt><dd id="hazard-responsible-shown">{hazard.responsible}</dd>
        <dt>{t("hazards.deadline")}</dt><dd class={hazard.overdue ? "late-text" : ""}>{siteDate(hazard.deadline)}</dd>
        <dt>{t("hazards.foundBy")}</dt><dd>{hazard.found_by} · {formatDateTime(hazard.found_at)} · {label(t, "hazards.source", hazard.source)}</dd>
        <dt>{t("hazards.description")}</dt><dd>{hazard.description}</dd>
        {hazard.fix_plan ? <><dt>{t("hazards.fixPlan")}</dt><dd>{hazard.fix_plan}</dd></> : null}
        {hazard.fix_note ? <><dt>{t("hazards.fixNote")}</dt><dd>{hazard.fix_note}</dd></> : null}
      </dl>
      {steps.length > 0 ? (
        <form class="stack-form card" id="hazard-actions" onSubmit={(e) => e.preventDefault()}>
          <label>{t("hazards.note")}<textarea id="hazard-note" rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} /></label>
          {steps.includes("reassign") ? (
            <div class="form-grid">
              <label>{t("hazards.newResponsible")}
                <select value={responsible} onChange={(e) => setResponsible(e.currentTarget.value)}>
                  <option value="">—</option>
                  {(people.data ?? []).map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
                </select>
              </label>
              <label>{t("hazards.newDeadline")}<input type="date" value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} /></label>
            </div>
          ) : null}
          <div class="button-row">
            {steps.map((action) => (
              <button key={action} type="button" data-action={action} disabled={busy}
                      class={action === "reject" || action === "reopen" || action === "reassign" ? "" : "primary"}
                      onClick={() => void act(action)}>{label(t, "hazardStep", action)}</button>
            ))}
          </div>
          <div id="hazard-error" class="error-text" role="alert">{error}</div>
        </form>
      ) : <div id="hazard-error" class="error-text" role="alert">{error}</div>}
      <h3>{t("hazards.photos")}</h3>
      <div class="hazard-photos">
        {(hazard.files ?? []).length === 0 ? <p class="muted">{t("hazards.noPhotos")}</p> : (hazard.files ?? []).map((f) => (
          <figure key={f.id} class="hazard-photo">
            <img src={hazards.photoUrl(hazard.id, f.id)} alt={`${label(t, "photoStage", f.stage)} · ${f.name}`} loading="lazy" />
            <figcaption>{label(t, "photoStage", f.stage)} · {f.added_by} · {formatDateTime(f.added_at)}<br />
              <span class="mono small-text">SHA-256 {f.sha256.slice(0, 16)}…</span></figcaption>
          </figure>
        ))}
      </div>
      {hazard.state !== "closed" ? (
        <div class="button-row">
          <label class="file-button">{t("hazards.addPhoto")} ({label(t, "photoStage", stage)})
            <input type="file" accept="image/jpeg,image/png,image/webp" id="hazard-photo-input"
                   onChange={(e) => { const file = e.currentTarget.files?.[0]; if (file) void run(() => hazards.upload(hazard.id, file, stage)); }} />
          </label>
          {cameras.map((c) => (
            <button key={c.id} type="button" disabled={busy} onClick={() => void run(() => hazards.cameraView(hazard.id, c.id, stage))}>
              {t("hazards.cameraView")} · {c.name}
            </button>
          ))}
        </div>
      ) : null}
      {plan ? (
        <>
          <h3>{t("hazards.onPlan")}</h3>
          <FloorPlan plan={plan} devices={devices} alerts={alerts} compact
                     marks={hazard.x !== null && hazard.y !== null ? [{ id: hazard.id, x: hazard.x, y: hazard.y, label: hazard.title, late: hazard.overdue }] : []} />
        </>
      ) : null}
      <h3>{t("hazards.history")}</h3>
      <ol class="history plain" id="hazard-history">
        {hazard.steps.map((s, i) => (
          <li key={i}><span class="muted">{formatDateTime(s.at)}</span> · <b>{label(t, "hazardStep", s.action)}</b> · {s.actor}
            {s.note ? ` — ${s.note}` : ""}</li>
        ))}
      </ol>
    </section>
  );
}

/** This quarter's self-inspection (每季度排查): every category answered; findings become hazards. */
function InspectionPanel({ categories, zones, onDone }: { categories: HazardCategory[]; zones: Zone[]; onDone(): void }) {
  const { t, me, language } = useSession();
  const inspections = useLoad(() => hazards.inspections(), []);
  const people = useLoad(() => (allows(me.role, "supervisor") ? hazards.people() : Promise.resolve([])), []);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [findings, setFindings] = useState<Record<string, Finding>>({});
  const [openForm, setOpenForm] = useState(false);
  const [error, setError] = useState("");
  const current = inspections.data?.[0];
  if (!current) return null;
  const supervisor = allows(me.role, "supervisor");
  const finding = (category: string): Finding => findings[category] ?? {
    category, zone: zones[0]?.id ?? "", level: "general", title: "", responsible: "", deadline: dateIn(7) };
  const setFinding = (category: string, change: Partial<Finding>): void =>
    setFindings({ ...findings, [category]: { ...finding(category), ...change } });
  const submit = async (): Promise<void> => {
    setError("");
    const checklist: Record<string, string> = {};
    const found: Finding[] = [];
    for (const c of categories) {
      const answer = answers[c.id] ?? "ok";
      checklist[c.id] = answer === "finding" ? (finding(c.id).title || t("inspection.finding")) : t(answer === "na" ? "inspection.na" : "inspection.ok");
      if (answer === "finding") found.push(finding(c.id));
    }
    try {
      await hazards.completeInspection(current.id, checklist, found);
      setOpenForm(false);
      inspections.reload();
      onDone();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  return (
    <div class={`card inspection${current.overdue ? " late" : ""}`} id="inspection">
      <h3>{t("inspection.heading")} · {current.id}</h3>
      {current.completed_at ? <p>{t("inspection.done", { who: current.completed_by ?? "", at: formatDateTime(current.completed_at) })}</p> : (
        <p>{current.overdue ? <b class="late-text">{t("inspection.overdue")} · </b> : null}{t("inspection.due")} {siteDate(current.due)}
          {supervisor && !openForm ? <> <button type="button" class="small" id="inspection-open" onClick={() => setOpenForm(true)}>{t("inspection.complete")}</button></> : null}
          {!supervisor ? <span class="muted"> · {t("inspection.readOnly")}</span> : null}</p>
      )}
      {openForm && !current.completed_at ? (
        <form class="stack-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <table class="data-table">
            <tbody>
              {categories.map((c) => (
                <tr key={c.id} data-category={c.id}>
                  <th scope="row">{language === "en" ? c.en : c.zh}</th>
                  <td>
                    <select value={answers[c.id] ?? "ok"} onChange={(e) => setAnswers({ ...answers, [c.id]: e.currentTarget.value })}>
                      <option value="ok">{t("inspection.ok")}</option>
                      <option value="finding">{t("inspection.finding")}</option>
                      <option value="na">{t("inspection.na")}</option>
                    </select>
                  </td>
                  <td>{answers[c.id] === "finding" ? (
                    <div class="form-grid">
                      <input aria-label={t("hazards.title")} placeholder={t("hazards.title")} value={finding(c.id).title}
                             onInput={(e) => setFinding(c.id, { title: e.currentTarget.value })} />
                      <select aria-label={t("hazards.zone")} value={finding(c.id).zone} onChange={(e) => setFinding(c.id, { zone: e.currentTarget.value })}>
                        {zones.map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
                      </select>
                      <select aria-label={t("hazards.responsible")} value={finding(c.id).responsible} onChange={(e) => setFinding(c.id, { responsible: e.currentTarget.value })}>
                        <option value="">{t("hazards.responsible")}</option>
                        {(people.data ?? []).map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
                      </select>
                      <input type="date" aria-label={t("hazards.deadline")} value={finding(c.id).deadline}
                             onInput={(e) => setFinding(c.id, { deadline: e.currentTarget.value })} />
                    </div>
                  ) : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="error-text" role="alert">{error}</div>
          <div class="button-row">
            <button type="submit" class="primary" id="inspection-submit">{t("inspection.complete")}</button>
            <button type="button" onClick={() => setOpenForm(false)}>{t("hazards.cancel")}</button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
