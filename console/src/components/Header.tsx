import { clock } from "../format";
import { useSession } from "../context";
import type { Key } from "../i18n";
import type { StreamStatus } from "../stream";

export type ViewName = "queue" | "plan" | "hazards" | "devices" | "modes" | "handover" | "audit" | "users" | "sops"
  | "stats" | "drills";

export const VIEW_LABELS: Record<ViewName, Key> = {
  queue: "nav.queue", plan: "nav.plan", hazards: "nav.hazards", devices: "nav.devices", modes: "nav.modes",
  handover: "nav.handover", audit: "nav.audit", users: "nav.users", sops: "nav.sops",
  stats: "nav.stats", drills: "nav.drills",
};

interface Props {
  siteName: string;
  now: number;
  status: StreamStatus;
  views: ViewName[];
  view: ViewName;
  onView(view: ViewName): void;
  onLanguage(): void;
  onLogout(): void;
  onShortcuts(): void;
}

export function Header({ siteName, now, status, views, view, onView, onLanguage, onLogout, onShortcuts }: Props) {
  const { t, me, language } = useSession();
  const statusText = status === "live" ? t("status.live")
    : status === "connecting" ? t("status.connecting") : t("status.reconnecting");
  return (
    <header class="top">
      <div class="top-row">
        <h1 class="site">{siteName || t("app.title")}</h1>
        <span class="clock">{clock(now)}</span>
        <span id="status" class={`status status-${status}`} role="status">{statusText}</span>
        <span class="spacer" />
        <span id="me" class="me">{`${me.name} (${me.role})`}</span>
        <button type="button" class="small" onClick={onShortcuts}>{t("shortcuts.button")}</button>
        <button type="button" id="language" class="small" aria-label={t("header.languageLabel")}
                lang={language === "en" ? "zh-CN" : "en"} onClick={onLanguage}>
          {t("header.language")}
        </button>
        <button type="button" id="logout" class="small" onClick={onLogout}>{t("header.logout")}</button>
      </div>
      <nav class="views" aria-label={t("nav.label")}>
        {views.map((name) => (
          <button type="button" key={name} data-view={name}
                  class={name === view ? "tab current" : "tab"}
                  aria-current={name === view ? "page" : undefined}
                  onClick={() => onView(name)}>
            {t(VIEW_LABELS[name])}
          </button>
        ))}
        <a class="tab" href="/docs.html" target="_blank" rel="noopener">{t("nav.docs")}</a>
      </nav>
    </header>
  );
}
