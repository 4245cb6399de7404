/** The console API contract (notes/console-api.md), as TypeScript types. */

export type Role = "viewer" | "operator" | "supervisor" | "safety_chief" | "admin";
export type Language = "zh-CN" | "en";
export type Severity = "info" | "warning" | "high" | "critical";
export type AlertState = "open" | "acknowledged" | "resolved" | "closed";
export type Category =
  | "panic" | "fire" | "intrusion" | "perimeter" | "traffic" | "hazard"
  | "tamper" | "device_health" | "maintenance";
export type StepKind = "check" | "yesno" | "text" | "call" | "dispatch";
export type ClosureReason = "" | "real" | "false_alarm" | "technical" | "drill";

export interface Me {
  name: string;
  role: Role;
  kind: "user" | "token";
  csrf_token: string;
  language: Language;
}

export interface ConsoleSettings {
  site_id: string;
  site_name: string;
  ack_target_s: Record<Severity, number>;
  snooze_max_minutes: number;
  closure_reasons: string[];
  dispatch_kinds: string[];
}

export interface ChecklistStep {
  id: string;
  kind: StepKind;
  text: string;
  text_en: string;
  required: boolean;
  number: string;
  value: string | null;
  by: string | null;
  at: string | null;
}

export interface Dispatch {
  kind: string;
  to: string;
  note: string;
  by: string;
  at: string;
}

export type PoliceStatus = "accepted" | "rejected" | "dispatched" | "on_scene" | "closed" | "cancel_ack";

/** What a linkage platform (the police) said back about the alert. */
export interface LinkageStatus {
  channel: string;
  status: PoliceStatus;
  at: string;
  received_at: string;
  reason: string;
  unit: string;
  eta_s: number | null;
  disposition: string;
  note: string;
}

export interface Alert {
  id: string;
  key: string;
  rule_id: string;
  site: string;
  device_id: string;
  zone: string;
  category: Category;
  severity: Severity;
  title: string;
  title_en: string;
  message: string;
  location: string;
  state: AlertState;
  latching: boolean;
  drill: boolean;
  raised_at: string;
  last_event_at: string;
  event_count: number;
  revision: number;
  channels: string[];
  evidence: string[];
  receipts: Record<string, string>;
  escalation_level: number;
  next_escalation_at: string | null;
  sop: string;
  sop_version: number;
  cleared_unseen: boolean;
  owner: string;
  snoozed_until: string | null;
  closure: ClosureReason;
  checklist: ChecklistStep[];
  dispatches: Dispatch[];
  sop_id: string;
  linkage: LinkageStatus[];
  police_accepted_after_s: number | null;
  police_on_scene_after_s: number | null;
}

export interface HistoryLine {
  at: string;
  action: string;
  from: string | null;
  to: string;
  actor: string;
  note: string;
  revision: number;
}

export interface AlertDetail extends Alert {
  history: HistoryLine[];
}

export interface EvidenceFrame {
  camera_id: string;
  role: "before" | "alert";
  captured_at: string;
  url: string;
  sha256: string;
  size: number;
}

export type Availability = "unknown" | "online" | "offline" | "fault";

export interface Device {
  id: string;
  type: string;
  name: string;
  zone: string;
  availability: Availability;
  detail: string | null;
  last_seen: number | null;
  since: string | null;
  heartbeat_s: number | null;
  malformed: number;
  in_maintenance: boolean;
  points: Record<string, unknown>;
}

export interface PlanDevice {
  device_id: string;
  x: number;
  y: number;
}

export interface Plan {
  id: string;
  name: string;
  name_en: string;
  building: string;
  floor: string | number;
  width: number;
  height: number;
  image: string;
  devices: PlanDevice[];
}

export interface Zone {
  id: string;
  name: string;
  building: string;
  floor: string | number;
}

export interface Mode {
  id: string;
  kind: "drill" | "maintenance";
  zone: string | null;
  device_id: string | null;
  starts: string;
  until: string;
  actor: string;
  note: string;
  action: "mark" | "suppress";
  ended_at: string | null;
  ended_by: string | null;
}

export interface ModeListing {
  active: Mode[];
  upcoming: Mode[];
  recent: Mode[];
}

export interface ModeAudit {
  id: number;
  mode_id: string;
  at: string;
  change: "started" | "scheduled" | "ended" | "expired";
  actor: string;
  note: string;
  kind: string;
  zone: string | null;
  device_id: string | null;
}

export interface Handover {
  id: string;
  from_user: string;
  note: string;
  at: string;
  accepted_by: string | null;
  accepted_at: string | null;
  open: string[];
  claimed: string[];
  snoozed: string[];
}

export interface HandoverListing {
  pending: Handover | null;
  recent: Handover[];
}

export interface SopStep {
  id: string;
  kind: StepKind;
  text: string;
  text_en: string;
  required: boolean;
  number: string;
}

export interface Sop {
  id: string;
  version: number;
  title: string;
  title_en: string;
  category: Category | null;
  steps: SopStep[];
  edited_by: string;
  edited_at: string;
}

export interface AuditEntry {
  seq: number;
  at: string | number;
  actor: string;
  action: string;
  subject?: string;
  target?: string;
  detail: unknown;
  address: string;
  hash: string;
}

export interface AuditVerify {
  ok?: boolean;
  entries: number;
  problem?: string | null;
  /** an older answer: the problems found, none when intact */
  problems?: string[];
}

export function auditIntact(result: AuditVerify): boolean {
  return result.ok ?? (result.problems ?? []).length === 0;
}

export function auditProblem(result: AuditVerify): string {
  return result.problem ?? (result.problems ?? []).join("; ");
}

export interface User {
  name: string;
  role: Role;
  disabled: boolean;
  display_name?: string;
  created_at?: string | number;
}

export interface Token {
  name: string;
  role: Role;
  created_at?: string | number;
  created_by?: string;
  revoked?: boolean;
}

/** POST /tokens: the secret is shown this once. */
export interface IssuedToken {
  name: string;
  role: Role;
  secret?: string;
  token?: string;
}

export interface AlertMessage {
  type: "alert";
  seq: number;
  change: string;
  actor: string;
  alert: Alert;
}

export interface ModeMessage {
  type: "mode";
  seq: number;
  change: "started" | "scheduled" | "ended" | "expired";
  mode: Mode;
}

export const SEVERITIES: readonly Severity[] = ["critical", "high", "warning", "info"];
export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, supervisor: 2, safety_chief: 3, admin: 4 };

export function allows(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}
