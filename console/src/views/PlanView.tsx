import { useEffect, useState } from "preact/hooks";
import { FloorPlan } from "../components/LazyFloorPlan";
import { useSession } from "../context";
import { PIN_COLOURS, planOfDevice, planOptionLabel, type PinState } from "../plan";
import type { Alert, Device, Plan } from "../types";
import type { Key } from "../i18n";
import { hazards } from "../hazards";
import { useLoad } from "../hooks";

const LEGEND: [PinState, Key][] = [["alarm", "plan.legend.alarm"], ["fault", "plan.legend.fault"],
  ["ok", "plan.legend.ok"], ["unknown", "plan.legend.unknown"]];

function Swatch({ state }: { state: PinState }) {
  return <span class="swatch" ref={(el) => { if (el) el.style.backgroundColor = PIN_COLOURS[state]; }} />;
}

export function PlanView({ plans, devices, alerts, focusDevice }: {
  plans: Plan[]; devices: Device[]; alerts: Alert[]; focusDevice: string | null;
}) {
  const { t, language } = useSession();
  const initial = (focusDevice ? planOfDevice(plans, focusDevice)?.id : undefined) ?? plans[0]?.id ?? "";
  const [planId, setPlanId] = useState(initial);
  useEffect(() => {
    const found = focusDevice ? planOfDevice(plans, focusDevice) : undefined;
    if (found) setPlanId(found.id);
  }, [focusDevice, plans]);
  const plan = plans.find((p) => p.id === planId) ?? plans[0];
  const open = useLoad(() => hazards.list({ state: "open" }), [], 60_000);
  return (
    <section id="plan" class="panel plan-view" aria-labelledby="plan-heading">
      <h2 id="plan-heading">{t("plan.heading")}</h2>
      {plan === undefined ? <p class="muted">{t("plan.none")}</p> : (
        <>
          <div class="plan-bar">
            <label>{t("plan.floor")}
              <select id="plan-floor" value={plan.id} onChange={(e) => setPlanId(e.currentTarget.value)}>
                {plans.map((p) => <option key={p.id} value={p.id}>{planOptionLabel(p, language)}</option>)}
              </select>
            </label>
            <ul class="legend plain">
              {LEGEND.map(([state, key]) => <li key={state}><Swatch state={state} />{t(key)}</li>)}
              <li><span class="swatch swatch-hazard" />{t("nav.hazards")}</li>
            </ul>
          </div>
          <FloorPlan plan={plan} devices={devices} alerts={alerts} highlight={focusDevice}
                     marks={(open.data ?? []).filter((h) => h.plan === plan.id && h.x !== null && h.y !== null)
                       .map((h) => ({ id: h.id, x: h.x ?? 0, y: h.y ?? 0, label: h.title, late: h.overdue }))} />
        </>
      )}
    </section>
  );
}
