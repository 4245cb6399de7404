import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, type ActionBody, type AlertAction } from "../api";
import { offeredActions } from "../actions";
import { useSession } from "../context";
import { formatDateTime, formatTime } from "../format";
import { errorText } from "../hooks";
import { alertTitle, label } from "../i18n";
import { planOfDevice } from "../plan";
import type { Alert, AlertDetail, ChecklistStep, Device, Plan, User } from "../types";
import { allows } from "../types";
import { Checklist } from "./Checklist";
import { Evidence } from "./Evidence";
import { FloorPlan } from "./LazyFloorPlan";
import { Snapshots } from "./Snapshots";

interface Props {
  alert: Alert;
  alerts: Alert[];
  devices: Device[];
  plans: Plan[] | null;
  focusToken: number;
  /** A refusal of an action taken with a key (a, c) on this alert. */
  outsideError: string;
  onChanged(alert: Alert): void;
  onClose(): void;
  onShowPlan(deviceId: string): void;
  /** Open the hazard register with a new hazard made from this alert. */
  onMakeHazard?(alert: Alert): void;
}

export function AlertPanel({ alert, alerts, devices, plans, focusToken, outsideError, onChanged, onClose, onShowPlan, onMakeHazard }: Props) {
  const { t, language, me, settings } = useSession();
  const [detail, setDetail] = useState<AlertDetail | null>(null);
  const [note, setNote] = useState("");
  const [force, setForce] = useState(false);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const [minutes, setMinutes] = useState(10);
  const [forwardTo, setForwardTo] = useState("");
  const [users, setUsers] = useState<User[] | null>(null);
  const [kind, setKind] = useState(settings.dispatch_kinds[0] ?? "guard");
  const [dispatchTo, setDispatchTo] = useState("");
  const [reason, setReason] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setError(""); setDone(""); setNote(""); setReason(""); setForce(false);
  }, [alert.id]);
  useEffect(() => {
    if (focusToken > 0) heading.current?.focus();
  }, [focusToken]);
  useEffect(() => {
    let alive = true;
    api.alert(alert.id).then((d) => { if (alive) setDetail(d); }, () => undefined);
    return () => { alive = false; };
  }, [alert.id, alert.revision]);
  useEffect(() => {
    if (me.role !== "admin") return;
    api.users().then(setUsers, () => setUsers(null));
  }, [me.role]);

  const offered = offeredActions(alert, me);
  const run = async (action: AlertAction, body: ActionBody = {}): Promise<void> => {
    setError(""); setDone("");
    try {
      const changed = await api.act(alert.id, action, { note, ...(force ? { force: true } : {}), ...body });
      onChanged(changed);
      setNote("");
      setDone(t("action.done"));
    } catch (failure) {
      const refused = failure instanceof ApiError && (failure.status === 409 || failure.status === 403);
      setError((refused ? t("action.refused") : t("action.failed")) + errorText(failure));
    }
  };
  const tick = async (step: ChecklistStep, value: string): Promise<boolean> => {
    setError("");
    try {
      onChanged(await api.step(alert.id, step.id, value, note));
      return true;
    } catch (failure) {
      const refused = failure instanceof ApiError && (failure.status === 409 || failure.status === 403);
      setError((refused ? t("action.refused") : t("action.failed")) + errorText(failure));
      return false;
    }
  };
  const plan = plans ? planOfDevice(plans, alert.device_id) : undefined;
  const history = detail?.id === alert.id ? detail.history : [];

  return (
    <section id="detail" class="detail panel" aria-labelledby="detail-heading" data-alert-id={alert.id}>
      <div class="detail-top">
        <h2 id="detail-heading" ref={heading} tabIndex={-1}>
          <span class={`sev-chip sev-${alert.severity}`}>{label(t, "severity", alert.severity)}</span>
          {" "}{alertTitle(language, alert)}
          {alert.drill ? <span class="badge badge-drill">{t("badge.drill")}</span> : null}
          {alert.cleared_unseen ? <span class="badge badge-cleared">{t("badge.cleared")}</span> : null}
        </h2>
        <button type="button" class="small" onClick={onClose} aria-label={t("detail.close")}>✕</button>
      </div>
      {alert.message ? <p class="message">{alert.message}</p> : null}
      <dl class="facts">
        <dt>{t("detail.location")}</dt><dd>{alert.location || "—"}</dd>
        <dt>{t("detail.device")}</dt><dd>{alert.device_id} · {t("detail.zone")} {alert.zone}</dd>
        <dt>{t("detail.category")}</dt><dd>{label(t, "category", alert.category)}</dd>
        <dt>{t("detail.state")}</dt><dd data-testid="detail-state">{label(t, "state", alert.state)}{alert.closure ? ` · ${label(t, "closure", alert.closure)}` : ""}</dd>
        <dt>{t("detail.owner")}</dt><dd>{alert.owner || "—"}</dd>
        <dt>{t("detail.raised")}</dt><dd>{formatDateTime(alert.raised_at)}</dd>
        <dt>{t("detail.last")}</dt><dd>{formatDateTime(alert.last_event_at)} · {t("detail.count")} {alert.event_count}</dd>
        {alert.next_escalation_at ? <><dt>{t("detail.nextEscalation")}</dt><dd>{formatTime(alert.next_escalation_at)}</dd></> : null}
        {Object.keys(alert.receipts).length > 0 ? <><dt>{t("detail.receipts")}</dt>
          <dd>{Object.entries(alert.receipts).map(([channel, receipt]) => `${channel}: ${receipt}`).join(" · ")}</dd></> : null}
      </dl>

      <div class="actions" role="group" aria-label={t("detail.actions")}>
        <label class="note-field">{t("action.note")}
          <textarea id="action-note" rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        {offered.force ? (
          <label class="inline"><input type="checkbox" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
            {t("action.force")}</label>
        ) : null}
        <div class="button-row">
          {offered.ack ? <button type="button" class="primary" data-testid="action-ack" data-action="ack"
                                 onClick={() => run("ack")}>{t("action.ack")}</button> : null}
          {offered.claim ? <button type="button" data-action="claim" onClick={() => run("claim")}>{t("action.claim")}</button> : null}
          {offered.release ? <button type="button" data-action="release" onClick={() => run("release")}>{t("action.release")}</button> : null}
          {offered.falseAlarm ? <button type="button" data-action="false_alarm" onClick={() => run("false_alarm")}>{t("action.falseAlarm")}</button> : null}
          {offered.close ? <button type="button" data-action="close" onClick={() => run("close")}>{t("action.close")}</button> : null}
          {offered.promote ? <button type="button" class="danger" data-action="promote" onClick={() => run("promote")}>{t("action.promote")}</button> : null}
          {onMakeHazard && allows(me.role, "operator") ? (
            <button type="button" data-action="hazard" onClick={() => onMakeHazard(alert)}>{t("hazards.fromAlert")}</button>
          ) : null}
        </div>
        {offered.resolve ? (
          <form class="action-form" onSubmit={(e) => { e.preventDefault(); if (reason) void run("resolve", { reason }); }}>
            <label>{t("action.reason")}
              <select required value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
                <option value="">{t("action.reasonChoose")}</option>
                {settings.closure_reasons.map((r) => <option key={r} value={r}>{label(t, "closure", r)}</option>)}
              </select>
            </label>
            <button type="submit" data-action="resolve" disabled={!reason}>{t("action.resolve")}</button>
          </form>
        ) : null}
        {offered.snooze ? (
          <form class="action-form" onSubmit={(e) => { e.preventDefault(); void run("snooze", { minutes }); }}>
            <label>{t("action.snoozeMinutes")}
              <input type="number" min={1} max={settings.snooze_max_minutes} value={minutes}
                     onInput={(e) => setMinutes(Number(e.currentTarget.value) || 1)} />
            </label>
            <button type="submit" data-action="snooze">{t("action.snooze")}</button>
          </form>
        ) : null}
        {offered.forward ? (
          <form class="action-form" onSubmit={(e) => { e.preventDefault(); if (forwardTo) void run("forward", { to: forwardTo }); }}>
            <label>{t("action.forwardTo")}
              {users ? (
                <select value={forwardTo} onChange={(e) => setForwardTo(e.currentTarget.value)}>
                  <option value="">{t("action.reasonChoose")}</option>
                  {users.filter((u) => !u.disabled && allows(u.role, "operator") && u.name !== me.name)
                    .map((u) => <option key={u.name} value={u.name}>{`${u.name} (${u.role})`}</option>)}
                </select>
              ) : <input value={forwardTo} onInput={(e) => setForwardTo(e.currentTarget.value)} />}
            </label>
            <button type="submit" data-action="forward" disabled={!forwardTo}>{t("action.forward")}</button>
          </form>
        ) : null}
        {offered.dispatch ? (
          <form class="action-form" onSubmit={(e) => { e.preventDefault(); if (dispatchTo) void run("dispatch", { kind, to: dispatchTo }); }}>
            <label>{t("action.dispatchKind")}
              <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
                {settings.dispatch_kinds.map((k) => <option key={k} value={k}>{label(t, "dispatch", k)}</option>)}
              </select>
            </label>
            <label>{t("action.dispatchTo")}
              <input value={dispatchTo} onInput={(e) => setDispatchTo(e.currentTarget.value)} />
            </label>
            <button type="submit" data-action="dispatch" disabled={!dispatchTo}>{t("action.dispatch")}</button>
          </form>
        ) : null}
        <div id="action-error" class="error-text" role="alert">{error || outsideError}</div>
        <div class="ok-text" role="status">{done}</div>
      </div>

      <section class="sop-steps">
        <h3>{t("detail.checklist")}{alert.sop_id ? ` · ${alert.sop_id} v${alert.sop_version}` : ""}</h3>
        <Checklist alert={alert} canAct={offered.steps} onStep={tick}
                   onDispatch={(k, to) => void run("dispatch", { kind: k, to })} />
      </section>

      {alert.dispatches.length > 0 ? (
        <section>
          <h3>{t("detail.dispatches")}</h3>
          <ul class="plain">
            {alert.dispatches.map((d, i) => (
              <li key={i}>{formatTime(d.at)} · {label(t, "dispatch", d.kind)} → {d.to} · {d.by}{d.note ? ` · ${d.note}` : ""}</li>
            ))}
          </ul>
        </section>
      ) : null}

      {alert.linkage.length > 0 ? (
        <section data-testid="police-linkage">
          <h3>{t("detail.police")}</h3>
          <ul class="plain">
            {alert.linkage.map((s, i) => (
              <li key={i}>
                {formatTime(s.at)} · <strong>{label(t, "police", s.status)}</strong>
                {s.status === "accepted" && alert.police_accepted_after_s !== null
                  ? ` · ${t("police.after", { s: Math.round(alert.police_accepted_after_s) })}` : ""}
                {s.status === "on_scene" && alert.police_on_scene_after_s !== null
                  ? ` · ${t("police.after", { s: Math.round(alert.police_on_scene_after_s) })}` : ""}
                {s.unit ? ` · ${s.unit}` : ""}
                {s.eta_s !== null ? ` · ${t("police.eta", { s: Math.round(s.eta_s) })}` : ""}
                {s.reason ? ` · ${s.reason}` : ""}{s.disposition ? ` · ${s.disposition}` : ""}
                {s.note ? ` · ${s.note}` : ""} · {s.channel}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <Evidence alertId={alert.id} revision={alert.revision} />
      <Snapshots zone={alert.zone} devices={devices} />

      {plan ? (
        <section class="detail-plan">
          <h3>{t("detail.planHeading")}</h3>
          <FloorPlan plan={plan} devices={devices} alerts={alerts} highlight={alert.device_id} compact />
          <button type="button" class="small" onClick={() => onShowPlan(alert.device_id)}>{t("nav.plan")}</button>
        </section>
      ) : null}

      <section class="history">
        <h3>{t("detail.history")}</h3>
        <ol class="plain history-list">
          {history.map((h, i) => (
            <li key={i}>
              <span class="when">{formatDateTime(h.at)}</span> <strong>{label(t, "history", h.action)}</strong>
              {" "}{h.from ? `${label(t, "state", h.from)} → ` : ""}{label(t, "state", h.to)}
              {" · "}{h.actor}{h.note ? ` · ${h.note}` : ""}
            </li>
          ))}
        </ol>
      </section>
    </section>
  );
}
