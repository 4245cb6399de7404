/** Which actions an alert offers, by its state and the operator's role (pure). */

import type { Alert, Me } from "./types";
import { allows } from "./types";

export interface Offered {
  claim: boolean;
  release: boolean;
  ack: boolean;
  snooze: boolean;
  forward: boolean;
  dispatch: boolean;
  falseAlarm: boolean;
  resolve: boolean;
  close: boolean;
  promote: boolean;
  force: boolean;
  steps: boolean;
}

export function offeredActions(alert: Alert, me: Me): Offered {
  const operator = allows(me.role, "operator");
  const supervisor = allows(me.role, "supervisor");
  const active = alert.state === "open" || alert.state === "acknowledged";
  const mine = alert.owner === me.name;
  return {
    claim: operator && active && !mine,
    release: operator && active && alert.owner !== "" && (mine || supervisor),
    ack: operator && (alert.state === "open" || alert.cleared_unseen),
    snooze: operator && active && alert.severity !== "critical",
    forward: operator && active,
    dispatch: operator && active,
    falseAlarm: operator && active,
    resolve: operator && active && (!alert.latching || alert.state === "acknowledged"),
    close: operator && alert.state === "resolved" && (!alert.latching || supervisor),
    promote: operator && active && alert.drill,
    force: supervisor,
    steps: operator && active,
  };
}
