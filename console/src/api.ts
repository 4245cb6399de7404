/** A typed client of the console API (notes/console-api.md). Every POST/PUT sends the
 * session's CSRF token; a 401 from any call tells the app to show the login again. */

import type {
  Alert, AlertDetail, AuditEntry, AuditVerify, ConsoleSettings, Device, EvidenceFrame,
  HandoverListing, IssuedToken, Language, Me, Mode, ModeAudit, ModeListing, Plan, Role, Sop,
  SopStep, Token, User, Zone,
} from "./types";

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(detail || `HTTP ${status}`);
    this.name = "ApiError";
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405);
}

type Json = Record<string, unknown>;

function detailOf(body: unknown): string {
  if (body !== null && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (d !== null && typeof d === "object" && "msg" in d
        ? String((d as { msg: unknown }).msg) : JSON.stringify(d))).join("; ");
    }
    return JSON.stringify(detail);
  }
  return "";
}

/** Fills the fields an older backend does not send yet, so the views can rely on them. */
export function normalizeAlert(raw: Partial<Alert> & { id: string }): Alert {
  return {
    key: "", rule_id: "", site: "", device_id: "", zone: "", category: "panic",
    severity: "info", title: "", message: "", location: "", state: "open", latching: false,
    drill: false, raised_at: "", last_event_at: "", event_count: 1, revision: 0, channels: [],
    evidence: [], receipts: {}, escalation_level: 0, next_escalation_at: null, sop: "",
    sop_version: 0, ...raw,
    title_en: raw.title_en ?? "",
    cleared_unseen: raw.cleared_unseen ?? false,
    owner: raw.owner ?? "",
    snoozed_until: raw.snoozed_until ?? null,
    closure: raw.closure ?? "",
    checklist: raw.checklist ?? [],
    dispatches: raw.dispatches ?? [],
    sop_id: raw.sop_id ?? "",
    linkage: raw.linkage ?? [],
    police_accepted_after_s: raw.police_accepted_after_s ?? null,
    police_on_scene_after_s: raw.police_on_scene_after_s ?? null,
  };
}

export const DEFAULT_SETTINGS: ConsoleSettings = {
  site_id: "", site_name: "", snooze_max_minutes: 60,
  ack_target_s: { critical: 60, high: 180, warning: 600, info: 1800 },
  closure_reasons: ["real", "false_alarm", "technical", "drill"],
  dispatch_kinds: ["guard", "police", "fire", "medical", "other"],
};

export interface ActionBody {
  note?: string;
  force?: boolean;
  reason?: string;
  minutes?: number;
  to?: string;
  kind?: string;
}

export type AlertAction =
  | "claim" | "release" | "ack" | "resolve" | "false_alarm" | "close" | "promote" | "silence"
  | "snooze" | "forward" | "dispatch";

export class Api {
  csrf = "";
  onUnauthorized: () => void = () => undefined;

  async request<T>(method: "GET" | "POST" | "PUT", path: string, body?: Json): Promise<T> {
    return (await this.exchange<T>(method, path, body)).body;
  }

  private async exchange<T>(method: "GET" | "POST" | "PUT", path: string,
                            body?: Json): Promise<{ body: T; headers: Headers }> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (this.csrf) headers["X-CSRF-Token"] = this.csrf;
    }
    const response = await fetch(path, {
      method, credentials: "same-origin", headers,
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
    if (!response.ok) {
      let parsed: unknown = null;
      try {
        parsed = await response.json();
      } catch {
        parsed = null;
      }
      const error = new ApiError(response.status, detailOf(parsed));
      if (response.status === 401 && path !== "/auth/login") this.onUnauthorized();
      throw error;
    }
    if (response.status === 204) return { body: undefined as T, headers: response.headers };
    const text = await response.text();
    return { body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  private post<T>(path: string, body?: Json): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  // accounts
  login(name: string, password: string): Promise<Me> {
    return this.post<Me>("/auth/login", { name, password });
  }
  me(): Promise<Me> {
    return this.get<Me>("/auth/me");
  }
  logout(): Promise<void> {
    return this.post<void>("/auth/logout");
  }
  setLanguage(language: Language): Promise<Me> {
    return this.request<Me>("PUT", "/auth/me/language", { language });
  }
  settings(): Promise<ConsoleSettings> {
    return this.get<ConsoleSettings>("/console/settings");
  }

  // alerts
  /** The queue, and where the live stream stood before it was read (its `after`). */
  async queue(): Promise<{ alerts: Alert[]; seq: number | null }> {
    const { body, headers } = await this.exchange<Alert[]>("GET", "/alerts?state=queue&limit=10000");
    const seq = Number.parseInt(headers.get("X-Feed-Seq") ?? "", 10);
    return { alerts: body.map(normalizeAlert), seq: Number.isNaN(seq) ? null : seq };
  }
  async alert(id: string): Promise<AlertDetail> {
    const raw = await this.get<AlertDetail>(`/alerts/${encodeURIComponent(id)}`);
    return { ...normalizeAlert(raw), history: raw.history ?? [] };
  }
  async act(id: string, action: AlertAction, body: ActionBody = {}): Promise<Alert> {
    const raw = await this.post<Alert>(`/alerts/${encodeURIComponent(id)}/${action}`, { ...body });
    return normalizeAlert(raw);
  }
  async step(id: string, stepId: string, value: string, note = ""): Promise<Alert> {
    const raw = await this.post<Alert>(
      `/alerts/${encodeURIComponent(id)}/steps/${encodeURIComponent(stepId)}`, { value, note });
    return normalizeAlert(raw);
  }
  evidence(id: string): Promise<EvidenceFrame[]> {
    return this.get<EvidenceFrame[]>(`/alerts/${encodeURIComponent(id)}/evidence`);
  }
  packageUrl(id: string): string {
    return `/alerts/${encodeURIComponent(id)}/package`;
  }
  snapshotUrl(cameraId: string, stamp: number): string {
    return `/cameras/${encodeURIComponent(cameraId)}/snapshot?t=${stamp}`;
  }

  // site
  devices(): Promise<Device[]> {
    return this.get<Device[]>("/devices");
  }
  plans(): Promise<Plan[]> {
    return this.get<Plan[]>("/plans");
  }
  zones(): Promise<Zone[]> {
    return this.get<Zone[]>("/zones");
  }

  // modes
  modes(): Promise<ModeListing> {
    return this.get<ModeListing>("/modes");
  }
  modesAudit(): Promise<ModeAudit[]> {
    return this.get<ModeAudit[]>("/modes/audit");
  }
  startDrill(zone: string | null, minutes: number, note: string): Promise<Mode> {
    return this.post<Mode>("/modes/drill", { zone, minutes, note });
  }
  startMaintenance(deviceId: string, minutes: number, action: "mark" | "suppress", note: string): Promise<Mode> {
    return this.post<Mode>("/modes/maintenance", { device_id: deviceId, minutes, action, note });
  }
  endMode(id: string, note: string): Promise<Mode> {
    return this.post<Mode>(`/modes/${encodeURIComponent(id)}/end`, { note });
  }

  // handover
  handover(): Promise<HandoverListing> {
    return this.get<HandoverListing>("/handover");
  }
  writeHandover(note: string): Promise<unknown> {
    return this.post("/handover", { note });
  }
  acceptHandover(id: string, note: string): Promise<unknown> {
    return this.post(`/handover/${encodeURIComponent(id)}/accept`, { note });
  }

  // procedures
  sops(): Promise<Sop[]> {
    return this.get<Sop[]>("/sops");
  }
  saveSop(id: string, sop: { title: string; title_en: string; category: string | null; steps: SopStep[] }): Promise<Sop> {
    return this.request<Sop>("PUT", `/sops/${encodeURIComponent(id)}`, { ...sop });
  }

  // audit and administration
  audit(limit = 200): Promise<AuditEntry[]> {
    return this.get<AuditEntry[]>(`/audit?limit=${limit}`);
  }
  verifyAudit(): Promise<AuditVerify> {
    return this.get<AuditVerify>("/audit/verify");
  }
  users(): Promise<User[]> {
    return this.get<User[]>("/users");
  }
  addUser(name: string, role: Role, password: string): Promise<User> {
    return this.post<User>("/users", { name, role, password });
  }
  changeUser(name: string, change: { role?: Role; disabled?: boolean; password?: string }): Promise<User> {
    return this.post<User>(`/users/${encodeURIComponent(name)}`, { ...change });
  }
  tokens(): Promise<Token[]> {
    return this.get<Token[]>("/tokens");
  }
  addToken(name: string, role: Role): Promise<IssuedToken> {
    return this.post<IssuedToken>("/tokens", { name, role });
  }
  revokeToken(name: string): Promise<void> {
    return this.post<void>(`/tokens/${encodeURIComponent(name)}/revoke`);
  }
}

export const api = new Api();
