/** The alarm queue's rules, pure: what is in it, its order, how late each row is, the counts
 * the banner, the title and the favicon show. `now` is always passed in (ms since epoch). */

import type { Alert, Severity } from "./types";

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, warning: 2, info: 3 };

export type AgeingLevel = "normal" | "amber" | "late";

/** Open and not yet acknowledged: what someone still has to look at. */
export function isUnacknowledged(alert: Alert): boolean {
  return alert.state === "open" || alert.cleared_unseen;
}

/** In the queue: active; cleared by itself with nobody having acknowledged it; or a latched
 * alert (panic, fire) resolved and waiting for a supervisor to close it. */
export function inQueue(alert: Alert): boolean {
  return alert.state === "open" || alert.state === "acknowledged" || alert.cleared_unseen
    || (alert.latching && alert.state === "resolved");
}

export function isSnoozed(alert: Alert, now: number): boolean {
  return alert.snoozed_until !== null && Date.parse(alert.snoozed_until) > now;
}

function raisedMs(alert: Alert): number {
  const at = Date.parse(alert.raised_at);
  return Number.isNaN(at) ? 0 : at;
}

/** Critical first; within a severity the oldest first; ties by id (stable across renders). */
export function compareAlerts(a: Alert, b: Alert): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]
    || raisedMs(a) - raisedMs(b)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface OrderedQueue {
  /** The rows to work, in order. */
  main: Alert[];
  /** Snoozed ones, apart (same order). */
  snoozed: Alert[];
}

export function orderQueue(alerts: Iterable<Alert>, now: number): OrderedQueue {
  const main: Alert[] = [];
  const snoozed: Alert[] = [];
  for (const alert of alerts) {
    if (!inQueue(alert)) continue;
    (isSnoozed(alert, now) ? snoozed : main).push(alert);
  }
  main.sort(compareAlerts);
  snoozed.sort(compareAlerts);
  return { main, snoozed };
}

export function ageSeconds(alert: Alert, now: number): number {
  return Math.max(0, Math.floor((now - raisedMs(alert)) / 1000));
}

/** How late an unacknowledged alert is against its severity's target: amber from half the
 * target, late from the target on. Acknowledged ones are never late. */
export function ageingLevel(alert: Alert, targets: Record<Severity, number>, now: number): AgeingLevel {
  if (!isUnacknowledged(alert)) return "normal";
  const target = targets[alert.severity];
  if (!(target > 0)) return "normal";
  const age = (now - raisedMs(alert)) / 1000;
  if (age >= target) return "late";
  if (age >= target / 2) return "amber";
  return "normal";
}

/** mm:ss, or h:mm:ss from an hour on. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours > 0 ? `${hours}:${two(minutes)}:${two(s % 60)}` : `${two(minutes)}:${two(s % 60)}`;
}

export interface QueueCounts {
  /** Unacknowledged alerts in the queue (cleared_unseen included): the page title's (N). */
  unacknowledged: number;
  /** Unacknowledged critical ones: the banner. */
  criticalUnacknowledged: number;
}

export function queueCounts(alerts: Iterable<Alert>): QueueCounts {
  let unacknowledged = 0;
  let criticalUnacknowledged = 0;
  for (const alert of alerts) {
    if (!inQueue(alert) || !isUnacknowledged(alert)) continue;
    unacknowledged += 1;
    if (alert.severity === "critical") criticalUnacknowledged += 1;
  }
  return { unacknowledged, criticalUnacknowledged };
}

/** Folds a changed alert into the known ones: an older revision never overwrites a newer. */
export function mergeAlert(known: ReadonlyMap<string, Alert>, alert: Alert): Map<string, Alert> {
  const next = new Map(known);
  const before = known.get(alert.id);
  if (before !== undefined && before.revision > alert.revision) return next;
  next.set(alert.id, alert);
  return next;
}

/** The queue as re-read, keeping the objects of alerts that did not change (same id and
 * revision), so that their rows are not rendered again. */
export function replaceQueue(known: ReadonlyMap<string, Alert>, read: readonly Alert[]): Map<string, Alert> {
  const next = new Map<string, Alert>();
  for (const alert of read) {
    const before = known.get(alert.id);
    next.set(alert.id, before !== undefined && before.revision === alert.revision ? before : alert);
  }
  return next;
}

export function pageTitle(count: number, base: string): string {
  return count > 0 ? `(${count}) ${base}` : base;
}
