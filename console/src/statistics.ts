/** The statistics and drills of the console (统计分析, 应急演练): their values and calls. */

import { api } from "./api";

export interface Count { key: string; count: number }
export interface Times {
  group: string; count: number; p50_s: number | null; p90_s: number | null;
  target_s: number | null; within_target: number | null;
}
export interface FalseAlarms { key: string; alerts: number; false_alarms: number; rate: number }
export interface Availability {
  device_class: string; devices: number; offline_s: number; period_s: number; availability: number;
}
export interface Requirement {
  term: string; kind: string; due_from: string; due_until: string; met_by: string | null;
  status: "met" | "missing" | "pending";
}

export interface Statistics {
  period: { kind: string; name: string; first: string; last: string };
  start: string; end: string; as_of: string; complete: boolean; alerts: number;
  by_category: Count[]; by_zone: Count[]; by_hour: number[]; by_weekday: number[];
  ack_by_severity: Times[]; resolve_by_severity: Times[];
  ack_by_operator: Times[]; resolve_by_operator: Times[];
  false_by_device: FalseAlarms[]; false_by_rule: FalseAlarms[];
  availability: Availability[]; police_accepted: Times; police_on_scene: Times;
  hazards: {
    opened: number; fixed: number; closed: number; overdue: number; not_closed: number;
    major_not_closed: number; age_p50_days: number | null; age_max_days: number | null;
    by_category: Count[]; by_level: Count[];
  };
  drills: { held: number; by_kind: Count[]; required: Requirement[]; missing: number };
}

export type DrillKind = "comprehensive" | "fire" | "anti_terror" | "food_safety" | "flood" | "night";
export const DRILL_KINDS: DrillKind[] = ["comprehensive", "fire", "anti_terror", "food_safety", "flood", "night"];

export interface Drill {
  id: string; kind: DrillKind; title: string; zone: string | null; planned_start: string;
  duration_s: number; expected_participants: number; lead: string; source: "config" | "console";
  planned_by: string; mode_id: string; started_at: string | null; ended_at: string | null;
  evacuation_s: number | null; participants: number | null; notes: string;
  state: "planned" | "running" | "done";
}
export interface DrillAlert {
  id: string; title: string; zone: string; severity: string; raised_at: string;
  ack_s: number | null; dispatch_s: number | null; resolve_s: number | null;
}
export interface DrillListing { drills: Drill[]; required: Requirement[]; boarding: boolean }

export type PeriodKind = "month" | "quarter" | "term";

/** The query of a period: `month=2026-11`, `quarter=2026-Q4`, `term=autumn-2026`. */
export function periodQuery(kind: PeriodKind, value: string): string {
  return `${kind}=${encodeURIComponent(value.trim())}`;
}

/** Where the report of a period is downloaded (a zip of its PDF, XLSX and CSV). */
export function reportUrl(kind: PeriodKind, value: string, language: string): string {
  const path = kind === "month" ? "monthly" : kind === "quarter" ? "quarterly" : "term";
  return `/reports/${path}?${periodQuery(kind, value)}&language=${encodeURIComponent(language)}`;
}

/** This month as `YYYY-MM`. */
export function thisMonth(now: Date = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

export const statistics = {
  get: (kind: PeriodKind, value: string) => api.request<Statistics>("GET", `/statistics?${periodQuery(kind, value)}`),
  drills: () => api.request<DrillListing>("GET", "/drills"),
  drill: (id: string) => api.request<{ drill: Drill; alerts: DrillAlert[] }>("GET", `/drills/${encodeURIComponent(id)}`),
  plan: (body: { kind: DrillKind; title: string; zone: string | null; start: string; minutes: number;
                 expected_participants: number; lead: string }) => api.request<Drill>("POST", "/drills", body),
  start: (id: string) => api.request<Drill>("POST", `/drills/${encodeURIComponent(id)}/start`),
  end: (id: string) => api.request<Drill>("POST", `/drills/${encodeURIComponent(id)}/end`, { note: "" }),
  record: (id: string, body: { evacuation_s: number | null; participants: number | null; notes: string }) =>
    api.request<Drill>("POST", `/drills/${encodeURIComponent(id)}/record`, body),
};

/** Seconds as the console shows them: `45 s`, `3.5 min`; none a dash. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return value < 120 ? `${Math.round(value)} s` : `${(value / 60).toFixed(1)} min`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
