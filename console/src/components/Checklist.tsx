import { useState } from "preact/hooks";
import { useSession } from "../context";
import { formatTime } from "../format";
import { label } from "../i18n";
import type { Alert, ChecklistStep } from "../types";

interface Props {
  alert: Alert;
  canAct: boolean;
  onStep(step: ChecklistStep, value: string): Promise<boolean>;
  onDispatch(kind: string, to: string): void;
}

function StepControl({ step, canAct, onStep, onDispatch }: {
  step: ChecklistStep; canAct: boolean; onStep(step: ChecklistStep, value: string): Promise<boolean>;
  onDispatch(kind: string, to: string): void;
}) {
  const { t, settings } = useSession();
  const [text, setText] = useState(step.value ?? "");
  const [kind, setKind] = useState(settings.dispatch_kinds[0] ?? "guard");
  const [to, setTo] = useState("");
  const [pending, setPending] = useState(false);
  const done = step.value !== null || pending;
  const tick = (value: string): void => {
    setPending(true);  // stays ticked while the gateway records it; unticks if refused
    void onStep(step, value).then((ok) => { if (!ok) setPending(false); });
  };
  switch (step.kind) {
    case "check":
      return (
        <label class="step-check">
          <input type="checkbox" checked={done} disabled={!canAct || done}
                 onChange={() => tick("done")} />
          {t("step.done")}
        </label>
      );
    case "yesno":
      return (
        <span class="step-yesno">
          <button type="button" class={step.value === "yes" ? "chosen" : ""} disabled={!canAct}
                  aria-pressed={step.value === "yes"} onClick={() => onStep(step, "yes")}>{t("step.yes")}</button>
          <button type="button" class={step.value === "no" ? "chosen" : ""} disabled={!canAct}
                  aria-pressed={step.value === "no"} onClick={() => onStep(step, "no")}>{t("step.no")}</button>
        </span>
      );
    case "text":
      return (
        <form class="step-text" onSubmit={(e) => { e.preventDefault(); onStep(step, text); }}>
          <input value={text} disabled={!canAct} aria-label={step.text}
                 onInput={(e) => setText(e.currentTarget.value)} />
          <button type="submit" disabled={!canAct || text.trim() === ""}>{t("step.save")}</button>
        </form>
      );
    case "call":
      return (
        <span class="step-call">
          <span class="call-number">{step.number}</span>
          <label class="step-check">
            <input type="checkbox" checked={done} disabled={!canAct || done}
                   onChange={() => tick("called")} />
            {t("step.called")}
          </label>
        </span>
      );
    case "dispatch":
      return (
        <form class="step-dispatch" onSubmit={(e) => {
          e.preventDefault();
          onDispatch(kind, to);
          onStep(step, `${kind}: ${to}`);
        }}>
          <select value={kind} disabled={!canAct} aria-label={t("action.dispatchKind")}
                  onChange={(e) => setKind(e.currentTarget.value)}>
            {settings.dispatch_kinds.map((k) => <option key={k} value={k}>{label(t, "dispatch", k)}</option>)}
          </select>
          <input value={to} disabled={!canAct} placeholder={t("action.dispatchTo")}
                 aria-label={t("action.dispatchTo")} onInput={(e) => setTo(e.currentTarget.value)} />
          <button type="submit" disabled={!canAct || to.trim() === ""}>{t("step.dispatch")}</button>
        </form>
      );
    default:
      return null;
  }
}

export function Checklist({ alert, canAct, onStep, onDispatch }: Props) {
  const { t, language } = useSession();
  if (alert.checklist.length === 0) return <p class="muted">{t("detail.noChecklist")}</p>;
  return (
    <ol class="checklist">
      {alert.checklist.map((step) => (
        <li key={step.id} class={step.value !== null ? "step done" : "step"} data-step-id={step.id}>
          <div class="step-text-line">
            <span class="step-kind">{label(t, "stepKind", step.kind)}</span>
            <span>{language === "en" && step.text_en ? step.text_en : step.text}</span>
            {step.required ? <span class="badge badge-required">{t("detail.required")}</span> : null}
          </div>
          <div class="step-control">
            <StepControl key={`${step.id}:${step.value ?? ""}`} step={step} canAct={canAct}
                         onStep={onStep} onDispatch={onDispatch} />
            {step.value !== null && step.kind !== "check" && step.kind !== "call" && step.kind !== "yesno"
              ? <span class="step-value">{step.value}</span> : null}
            {step.by ? <span class="step-by muted">{t("detail.doneBy", { by: step.by, at: formatTime(step.at) })}</span> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
