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

function Row({ alert, now, selected, sounding, onSelect }: RowProps) {
  const { t, language, settings, me } = useSession();
  const level = ageingLevel(alert, settings.ack_target_s, now);
  const ref = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView({ block: "nearest" });
  }, [selected]);
  const classes = ["alert-row", `sev-${alert.severity}`, `age-${level}`];
  if (selected) classes.push("selected");
  if (isUnacknowledged(alert)) classes.push("unacked");
  if (alert.drill) classes.push("drill");
  return (
    <tr ref={ref} data-alert-id={alert.id} data-severity={alert.severity} data-age={level}
        class={classes.join(" ")} tabIndex={0} aria-selected={selected}
        onClick={() => onSelect(alert.id, true)}
        onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); onSelect(alert.id, true); } }}>
      <td class="sev"><span class={`sev-chip sev-${alert.severity}`}>{label(t, "severity", alert.severity)}</span>
        {sounding ? <span class="sounding" title={t("sound.sounding")} aria-label={t("sound.sounding")}>♪</span> : null}
      </td>
      <td class="title">
        <span class="title-text">{alertTitle(language, alert)}</span>
        {alert.drill ? <span class="badge badge-drill">{t("badge.drill")}</span> : null}
        {alert.cleared_unseen ? <span class="badge badge-cleared">{t("badge.cleared")}</span> : null}
        {alert.escalation_level > 0
          ? <span class="badge badge-escalated">{t("badge.escalated", { n: alert.escalation_level })}</span> : null}
        {alert.owner && alert.owner !== me.name
          ? <span class="badge badge-claimed">{t("badge.claimed", { name: alert.owner })}</span> : null}
        {alert.snoozed_until && Date.parse(alert.snoozed_until) > now
          ? <span class="badge badge-snoozed">{t("badge.snoozed", { time: formatTime(alert.snoozed_until, now) })}</span> : null}
      </td>
      <td class="where">{alert.location || alert.zone}</td>
      <td class="age" data-testid="age">{formatAge(ageSeconds(alert, now))}</td>
      <td class="state" data-testid="state" data-state={alert.state}>{label(t, "state", alert.state)}</td>
      <td class="owner">{alert.owner || t("queue.unclaimed")}</td>
    </tr>
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
    <thead>
      <tr>
        <th scope="col">{t("queue.severity")}</th>
        <th scope="col">{t("queue.title")}</th>
        <th scope="col">{t("queue.location")}</th>
        <th scope="col">{t("queue.age")}</th>
        <th scope="col">{t("queue.state")}</th>
        <th scope="col">{t("queue.owner")}</th>
      </tr>
    </thead>
  );
}

export function Queue({ main, snoozed, now, selectedId, soundingIds, onSelect }: Props) {
  const { t } = useSession();
  const rows = (alerts: Alert[]) => alerts.map((alert) => (
    <Row key={alert.id} alert={alert} now={now} selected={alert.id === selectedId}
         sounding={soundingIds.has(alert.id)} onSelect={onSelect} />
  ));
  return (
    <section class="queue panel" aria-labelledby="queue-heading">
      <h2 id="queue-heading">{t("queue.heading")} <span class="count">({main.length})</span></h2>
      <table class="queue-table" role="grid" aria-labelledby="queue-heading">
        <Head />
        <tbody id="alerts">{rows(main)}</tbody>
      </table>
      {main.length === 0 ? <p class="empty" data-testid="queue-empty">{t("queue.empty")}</p> : null}
      {snoozed.length > 0 ? (
        <details class="snoozed" id="snoozed">
          <summary>{t("queue.snoozed", { n: snoozed.length })}</summary>
          <table class="queue-table" role="grid" aria-label={t("queue.snoozed", { n: snoozed.length })}>
            <Head />
            <tbody id="alerts-snoozed">{rows(snoozed)}</tbody>
          </table>
        </details>
      ) : null}
    </section>
  );
}
