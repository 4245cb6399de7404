import { useSession } from "../context";
import { formatTime } from "../format";
import type { Mode } from "../types";

export function NotLive() {
  const { t } = useSession();
  return <div id="not-live" class="not-live" role="alert">{t("notLive.banner")}</div>;
}

export function CriticalBanner({ count }: { count: number }) {
  const { t } = useSession();
  if (count === 0) return null;
  return <div id="critical-banner" class="critical-banner" role="alert" data-count={count}>
    {t("banner.critical", { n: count })}</div>;
}

export function ModesBanner({ modes, now }: { modes: Mode[]; now: number }) {
  const { t } = useSession();
  const shown = modes.filter((m) => m.ended_at === null && Date.parse(m.until) > now && Date.parse(m.starts) <= now);
  if (shown.length === 0) return null;
  return (
    <div id="modes" class="modes-banner">
      {shown.map((m) => (
        <span key={m.id} class="mode-line">
          <span class={`badge badge-${m.kind}`}>{t(m.kind === "drill" ? "mode.drill" : "mode.maintenance")}</span>
          {m.kind === "drill" ? (m.zone ?? t("modes.wholeSite")) : `${m.device_id ?? ""} (${m.action})`}
          {" → "}{formatTime(m.until, now)} · {m.actor}{m.note ? `: ${m.note}` : ""}
        </span>
      ))}
    </div>
  );
}
