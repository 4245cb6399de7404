import { memo } from "preact/compat";
import { useEffect, useRef } from "preact/hooks";
import { alertTitle, label } from "../i18n";
import { useSession } from "../context";
import { formatTime } from "../format";
import { ageSeconds, ageingLevel, formatAge, isUnacknowledged } from "../queue";
import type { Alert } from "../types";

interface RowProps {
  alert: Alert;
  now: number;
  selected: boolean;
  sounding: boolean;
  onSelect(id: string, open: boolean): void;
}

const Row = memo(function Row({ alert, now, selected, sounding, onSelect }: RowProps) {
  const { t, language, settings, me } = useSession();
  const level = ageingLevel(alert, settings.ack_target_s, now);
  const classes = ["alert-row", `sev-${alert.severity}`, `age-${level}`];
  if (selected) classes.push("selected");
  if (isUnacknowledged(alert)) classes.push("unacked");
  if (alert.drill) classes.push("drill");
  return (
    <div role="row" data-alert-id={alert.id} data-severity={alert.severity} data-age={level}
        class={classes.join(" ")} tabIndex={0} aria-selected={selected}
        onClick={() => onSelect(alert.id, true)}
        onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); onSelect(alert.id, true); } }}>
      <div role="gridcell" class="cell sev"><span class={`sev-chip sev-${alert.severity}`}>{label(t, "severity", alert.severity)}</span>
        {sounding ? <span class="sounding" title={t("sound.sounding")} aria-label={t("sound.sounding")}>♪</span> : null}
      </div>
      <div role="gridcell" class="cell title">
        <span class="title-text">{alertTitle(language, alert)}</span>
        {alert.drill ? <span class="badge badge-drill">{t("badge.drill")}</span> : null}
        {alert.cleared_unseen ? <span class="badge badge-cleared">{t("badge.cleared")}</span> : null}
        {alert.escalation_level > 0
          ? <span class="badge badge-escalated">{t("badge.escalated", { n: alert.escalation_level })}</span> : null}
        {alert.owner && alert.owner !== me.name
          ? <span class="badge badge-claimed">{t("badge.claimed", { name: alert.owner })}</span> : null}
        {alert.linkage.length > 0 ? <PoliceBadge alert={alert} /> : null}
        {alert.snoozed_until && Date.parse(alert.snoozed_until) > now
          ? <span class="badge badge-snoozed">{t("badge.snoozed", { time: formatTime(alert.snoozed_until, now) })}</span> : null}
      </div>
      <div role="gridcell" class="cell where">{alert.location || alert.zone}</div>
      <div role="gridcell" class="cell age" data-testid="age">{formatAge(ageSeconds(alert, now))}</div>
      <div role="gridcell" class="cell state" data-testid="state" data-state={alert.state}>{label(t, "state", alert.state)}</div>
      <div role="gridcell" class="cell owner">{alert.owner || t("queue.unclaimed")}</div>
    </div>
  );
}, (before, after) => before.alert === after.alert && before.selected === after.selected
  && before.sounding === after.sounding && before.onSelect === after.onSelect
  && Math.floor(before.now / 1000) === Math.floor(after.now / 1000));

/** The police's latest word on the alert, e.g. "公安：已接警 · 报警后 14 秒". */
function PoliceBadge({ alert }: { alert: Alert }) {
  const { t } = useSession();
  const latest = alert.linkage[alert.linkage.length - 1];
  if (latest === undefined) return null;
  const after = latest.status === "accepted" ? alert.police_accepted_after_s
    : latest.status === "on_scene" ? alert.police_on_scene_after_s : null;
  return (
    <span class={`badge badge-police police-${latest.status}`} data-testid="police-status">
      {t("badge.police", { status: label(t, "police", latest.status) })}
      {after !== null ? ` · ${t("police.after", { s: Math.round(after) })}` : ""}
    </span>
  );
}

interface Props {
  main: Alert[];
  snoozed: Alert[];
  now: number;
  selectedId: string | null;
  soundingIds: ReadonlySet<string>;
  onSelect(id: string, open: boolean): void;
}

function Head() {
  const { t } = useSession();
  return (
    <div role="row" class="queue-head">
      <div role="columnheader">{t("queue.severity")}</div>
      <div role="columnheader">{t("queue.title")}</div>
      <div role="columnheader">{t("queue.location")}</div>
      <div role="columnheader">{t("queue.age")}</div>
      <div role="columnheader">{t("queue.state")}</div>
      <div role="columnheader">{t("queue.owner")}</div>
    </div>
  );
}

export function Queue({ main, snoozed, now, selectedId, soundingIds, onSelect }: Props) {
  const { t } = useSession();
  const table = useRef<HTMLElement>(null);
  useEffect(() => {
    if (selectedId === null) return;
    table.current?.querySelector(`[data-alert-id="${CSS.escape(selectedId)}"]`)
      ?.scrollIntoView({ block: "nearest" });
  }, [selectedId]);
  const rows = (alerts: Alert[]) => alerts.map((alert) => (
    <Row key={alert.id} alert={alert} now={now} selected={alert.id === selectedId}
         sounding={soundingIds.has(alert.id)} onSelect={onSelect} />
  ));
  return (
    <section ref={table} class="queue panel" aria-labelledby="queue-heading">
      <h2 id="queue-heading">{t("queue.heading")} <span class="count">({main.length})</span></h2>
      <div class="queue-table" role="grid" aria-labelledby="queue-heading">
        <Head />
        <div role="rowgroup" id="alerts">{rows(main)}</div>
      </div>
      {main.length === 0 ? <p class="empty" data-testid="queue-empty">{t("queue.empty")}</p> : null}
      {snoozed.length > 0 ? (
        <details class="snoozed" id="snoozed">
          <summary>{t("queue.snoozed", { n: snoozed.length })}</summary>
          <div class="queue-table" role="grid" aria-label={t("queue.snoozed", { n: snoozed.length })}>
            <Head />
            <div role="rowgroup" id="alerts-snoozed">{rows(snoozed)}</div>
          </div>
        </details>
      ) : null}
    </section>
  );
}
