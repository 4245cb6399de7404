import { normalizeAlert } from "../api";
import type { Alert } from "../types";

export const T0 = Date.parse("2026-12-03T08:00:00+08:00");

/** An alert raised `ageS` seconds before T0. */
export function alert(id: string, fields: Partial<Alert> & { ageS?: number } = {}): Alert {
  const { ageS = 0, ...rest } = fields;
  return normalizeAlert({
    id, severity: "high", state: "open", title: id, revision: 1,
    raised_at: new Date(T0 - ageS * 1000).toISOString(), ...rest,
  });
}
