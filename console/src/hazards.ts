/** The hazard register's values and calls (隐患排查治理), beside the rest of the API. */

import { api } from "./api";
import type { Role } from "./types";

export type HazardState = "open" | "fixed" | "verified" | "review" | "closed";
export type HazardLevel = "general" | "major";
export type HazardAction = "plan" | "fix" | "verify" | "reject" | "close" | "review" | "reopen" | "reassign";
export type PhotoStage = "found" | "fix" | "verify";

export interface HazardStep { at: string; actor: string; action: string; state: HazardState; note: string }
export interface HazardPhoto {
  id: string; stage: PhotoStage; name: string; content_type: string; sha256: string; size: number;
  added_by: string; added_at: string;
}

export interface Hazard {
  id: string; source: "alert" | "patrol" | "inspection" | "rule"; alert_id: string; inspection_id: string;
  zone: string; plan: string; x: number | null; y: number | null;
  category: string; category_name: { zh: string; en: string }; level: HazardLevel;
  title: string; description: string; found_by: string; found_at: string;
  responsible: string; deadline: string; fix_plan: string; state: HazardState;
  fixed_by: string | null; fixed_at: string | null; fix_note: string;
  verified_by: string | null; verified_at: string | null; closed_by: string | null; closed_at: string | null;
  reviewed_by: string | null; reviewed_at: string | null; reopened: number; escalation_level: number;
  overdue: boolean; steps: HazardStep[]; files?: HazardPhoto[];
}

export interface HazardCategory { id: string; zh: string; en: string }
export interface Person { name: string; role: Role }
export interface Inspection {
  id: string; due: string; checklist: Record<string, string>; completed_by: string | null;
  completed_at: string | null; overdue: boolean;
}

export interface HazardQuery {
  state: "open" | "overdue" | "closed" | "all"; level?: HazardLevel | ""; category?: string; zone?: string;
  responsible?: string; mine?: boolean; alert_id?: string;
}

export interface NewHazard {
  zone?: string; category?: string; level: HazardLevel; title: string; description: string;
  responsible: string; deadline: string; alert_id?: string; device_id?: string;
}

export interface StepBody { note?: string; fix_plan?: string; responsible?: string; deadline?: string }

export interface Finding {
  category: string; zone: string; level: HazardLevel; title: string; responsible: string; deadline: string;
}

function query(q: HazardQuery): string {
  const params = new URLSearchParams({ state: q.state });
  if (q.level) params.set("level", q.level);
  if (q.category) params.set("category", q.category);
  if (q.zone) params.set("zone", q.zone);
  if (q.responsible) params.set("responsible", q.responsible);
  if (q.mine) params.set("mine", "true");
  if (q.alert_id) params.set("alert_id", q.alert_id);
  return params.toString();
}

const path = (id: string): string => `/hazards/${encodeURIComponent(id)}`;

export const hazards = {
  list: (q: HazardQuery) => api.request<Hazard[]>("GET", `/hazards?${query(q)}`),
  get: (id: string) => api.request<Hazard>("GET", path(id)),
  categories: () => api.request<HazardCategory[]>("GET", "/hazards/categories"),
  people: () => api.request<Person[]>("GET", "/hazards/people"),
  add: (body: NewHazard) => api.request<Hazard>("POST", "/hazards", { ...body }),
  act: (id: string, action: HazardAction, body: StepBody) =>
    api.request<Hazard>("POST", `${path(id)}/${action}`, { ...body }),
  cameraView: (id: string, camera: string, stage: PhotoStage) =>
    api.request<HazardPhoto>("POST", `${path(id)}/camera?camera=${encodeURIComponent(camera)}&stage=${stage}`),
  photoUrl: (id: string, photo: string) => `${path(id)}/photos/${encodeURIComponent(photo)}`,
  async upload(id: string, file: File, stage: PhotoStage): Promise<HazardPhoto> {
    const response = await fetch(`${path(id)}/photos?stage=${stage}&name=${encodeURIComponent(file.name)}`, {
      method: "POST", credentials: "same-origin", body: file,
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": api.csrf },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as HazardPhoto;
  },
  inspections: () => api.request<Inspection[]>("GET", "/inspections"),
  completeInspection: (id: string, checklist: Record<string, string>, findings: Finding[]) =>
    api.request<{ id: string }>("POST", `/inspections/${encodeURIComponent(id)}/complete`,
                                { checklist, findings: findings.map((f) => ({ ...f })) }),
};

/** Which steps `me` may offer on `hazard` (the server decides again). */
export function offeredSteps(hazard: Hazard, me: { name: string; role: Role }, allows: (role: Role, least: Role) => boolean): HazardAction[] {
  const supervisor = allows(me.role, "supervisor");
  const fixer = hazard.responsible === me.name || supervisor;
  const notFixer = hazard.fixed_by !== me.name;
  switch (hazard.state) {
    case "open":
      return [...(fixer ? ["plan", "fix"] as HazardAction[] : []), ...(supervisor ? ["reassign"] as HazardAction[] : [])];
    case "fixed":
      return allows(me.role, "operator") && notFixer ? ["verify", "reject", ...(supervisor ? ["reassign"] as HazardAction[] : [])] : [];
    case "verified":
      return supervisor ? ["close", ...(notFixer ? ["reject"] as HazardAction[] : [])] : [];
    case "review":
      return allows(me.role, "safety_chief") && hazard.closed_by !== me.name ? ["review", "reject"] : [];
    case "closed":
      return supervisor ? ["reopen"] : [];
  }
}

/** A date `days` from now as YYYY-MM-DD, for the deadline field. */
export function dateIn(days: number, now: number = Date.now()): string {
  const d = new Date(now + days * 86400_000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
