import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, DEFAULT_SETTINGS, api, isNotFound } from "./api";
import { errorText } from "./hooks";
import { AlertPanel } from "./components/AlertPanel";
import { CriticalBanner, ModesBanner, NotLive } from "./components/Banners";
import { Header, type ViewName } from "./components/Header";
import { Login } from "./components/Login";
import { Queue } from "./components/Queue";
import { Shortcuts } from "./components/Shortcuts";
import { SessionContext, type Session } from "./context";
import { drawFavicon } from "./favicon";
import { translator } from "./i18n";
import { isUnacknowledged, mergeAlert, orderQueue, pageTitle, queueCounts, replaceQueue } from "./queue";
import { SoundPlayer, pruneSilenced, silence, soundingAlerts, voices } from "./sound";
import { LiveStream, type StreamStatus } from "./stream";
import type { Alert, ConsoleSettings, Device, Language, Me, Mode, ModeListing, Plan } from "./types";
import { allows } from "./types";
import { AuditView } from "./views/AuditView";
import { DevicesView } from "./views/DevicesView";
import { DrillsView } from "./views/DrillsView";
import { HandoverView } from "./views/HandoverView";
import { HazardsView } from "./views/HazardsView";
import { ModesView } from "./views/ModesView";
import { PlanView } from "./views/PlanView";
import { SopView } from "./views/SopView";
import { StatsView } from "./views/StatsView";
import { UsersView } from "./views/UsersView";

const LANGUAGE_KEY = "campusgw.language";
const player = new SoundPlayer();

function storedLanguage(): Language {
  try {
    return localStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "zh-CN";
  } catch {
    return "zh-CN";
  }
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export interface ConsoleHandle {
  sounding(): string[];
  silenced(): string[];
  queue(): string[];
  status(): StreamStatus;
  /** Drops and reopens the live stream (for tests of the NOT LIVE banner). */
  restartStream(): void;
}

declare global {
  interface Window {
    __console?: ConsoleHandle;
  }
}

// The queue is asked for with the page, beside /auth/me: a logged-in operator sees it one
// round trip sooner (without a session, the answer is dropped and the login shown).
let earlyQueue: ReturnType<typeof api.queue> | null = api.queue();
earlyQueue.catch(() => undefined);

function takeEarlyQueue(): ReturnType<typeof api.queue> {
  const early = earlyQueue;
  earlyQueue = null;
  return early === null ? api.queue() : early.catch(() => api.queue());
}

/** Run `work` once the browser has painted what is pending (the queue first). */
function afterPaint(work: () => void): void {
  requestAnimationFrame(() => window.setTimeout(work, 0));
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [language, setLanguage] = useState<Language>(storedLanguage);
  const [settings, setSettings] = useState<ConsoleSettings>(DEFAULT_SETTINGS);
  const [alerts, setAlerts] = useState<Map<string, Alert>>(new Map());
  const [modes, setModes] = useState<ModeListing>({ active: [], upcoming: [], recent: [] });
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [now, setNow] = useState(() => Date.now());
  const [view, setView] = useState<ViewName>("queue");
  const [hazardFrom, setHazardFrom] = useState<Alert | null>(null);
  const [viewRound, setViewRound] = useState(0);  // a tab clicked again shows its start
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detailOpen, setDetailOpen] = useState(false);
  const [focusToken, setFocusToken] = useState(0);
  const [silenced, setSilenced] = useState<Set<string>>(new Set());
  const [devices, setDevices] = useState<Device[]>([]);
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [planFocus, setPlanFocus] = useState<string | null>(null);
  const [available, setAvailable] = useState<Record<"handover" | "sops", boolean>>({ handover: true, sops: true });
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [keyError, setKeyError] = useState("");
  /** The queue could not be read: said loudly, never an empty queue that looks calm. */
  const [queueError, setQueueError] = useState("");
  const stream = useRef<LiveStream | null>(null);
  /** The selection as of the last key press: keys can come faster than renders. */
  const selectedRef = useRef<string | null>(null);
  selectedRef.current = selectedId;
  const t = useMemo(() => translator(language), [language]);

  // --- session
  const loggedIn = useCallback((who: Me) => {
    api.csrf = who.csrf_token ?? "";
    setMe(who);
    if (who.language === "en" || who.language === "zh-CN") setLanguage(who.language);
  }, []);
  useEffect(() => {
    api.onUnauthorized = () => {
      stream.current?.stop();
      player.stop();
      setMe(null);
    };
    api.me().then(loggedIn, () => setMe(null));
  }, [loggedIn]);
  useEffect(() => {
    document.documentElement.lang = language;
    try { localStorage.setItem(LANGUAGE_KEY, language); } catch { /* private mode */ }
  }, [language]);

  // --- live state
  const loadQueue = useCallback((): Promise<number | null> => {
    return takeEarlyQueue().then(({ alerts: list, seq }) => {
      setAlerts((known) => replaceQueue(known, list));
      setQueueError("");
      return seq;
    }, (failure: unknown) => {
      if (!(failure instanceof ApiError && failure.status === 401)) setQueueError(errorText(failure));
      return null;
    });
  }, []);
  const loadModes = useCallback(() => {
    api.modes().then(setModes, () => undefined);
  }, []);
  const loadDevices = useCallback(() => {
    api.devices().then(setDevices, () => undefined);
  }, []);

  useEffect(() => {
    if (!me) return;
    api.settings().then((s) => setSettings({ ...DEFAULT_SETTINGS, ...s }), () => undefined);
    const live = new LiveStream({
      onAlert: (alert) => setAlerts((known) => mergeAlert(known, alert)),
      onMode: (message) => setModes((listing) => applyMode(listing, message.change, message.mode)),
      onResync: (reason) => {
        if (reason !== "reset") return;  // a reopened stream resumes by its Last-Event-ID
        void loadQueue();
        loadModes();
      },
      onStatus: setStatus,
    });
    // The queue first; the stream from where the queue was read (nothing falls in
    // between); the rest (10,000 devices, plans) once the queue is on screen.
    void loadQueue().then((seq) => {
      loadModes();
      live.start(seq);
      afterPaint(loadRest);
    });
    function loadRest() {
      loadDevices();
      api.plans().then(setPlans, () => setPlans(null));
      api.handover().then(() => undefined, (e: unknown) => {
        if (isNotFound(e)) setAvailable((a) => ({ ...a, handover: false }));
      });
      api.sops().then(() => undefined, (e: unknown) => {
        if (isNotFound(e)) setAvailable((a) => ({ ...a, sops: false }));
      });
    }
    stream.current = live;
    const devicesTimer = window.setInterval(loadDevices, 10000);
    return () => {
      live.stop();
      window.clearInterval(devicesTimer);
    };
  }, [me, loadQueue, loadModes, loadDevices]);

  useEffect(() => window.scrollTo(0, 0), [view]);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);

  // --- derived
  const ordered = useMemo(() => orderQueue(alerts.values(), now), [alerts, now]);
  const counts = useMemo(() => queueCounts(alerts.values()), [alerts]);
  const sounding = useMemo(() => soundingAlerts(alerts.values(), silenced, now), [alerts, silenced, now]);
  const soundingIds = useMemo(() => new Set(sounding.map((a) => a.id)), [sounding]);
  const playing = useMemo(() => voices(sounding), [sounding]);
  const selected = selectedId !== null ? alerts.get(selectedId) ?? null : null;
  const allAlerts = useMemo(() => [...alerts.values()], [alerts]);

  useEffect(() => {
    setSilenced((s) => {
      const pruned = pruneSilenced(alerts.values(), s, now);
      return pruned.size === s.size ? s : pruned;
    });
  }, [alerts, now]);
  useEffect(() => {
    if (me) player.play(playing);
    else player.stop();
  }, [playing, me]);

  useEffect(() => {
    document.title = pageTitle(counts.unacknowledged, settings.site_name || t("app.title"));
    drawFavicon(counts.unacknowledged);
  }, [counts.unacknowledged, settings.site_name, t]);

  const silenceAll = useCallback(() => {
    for (const alert of sounding) {
      api.act(alert.id, "silence", {}).catch(() => undefined);
    }
    setSilenced((s) => silence(sounding, s));
  }, [sounding]);

  useEffect(() => {
    window.__console = {
      sounding: () => playing.map((v) => v.severity),
      silenced: () => [...silenced],
      queue: () => ordered.main.map((a) => a.id),
      status: () => status,
      restartStream: () => stream.current?.restart(),
    };
  }, [playing, silenced, ordered, status]);

  // --- keyboard
  const select = useCallback((id: string, open: boolean) => {
    setSelectedId(id);
    if (open) {
      setDetailOpen(true);
      setFocusToken((n) => n + 1);
    }
  }, []);
  const actOnSelected = useCallback((action: "ack" | "claim") => {
    const chosen = selectedRef.current;
    // none selected: the top one still waiting for someone, else the top one
    const target = (chosen !== null ? alerts.get(chosen) : undefined)
      ?? ordered.main.find(isUnacknowledged) ?? ordered.main[0] ?? null;
    if (target === null) return;
    setSelectedId(target.id);
    setDetailOpen(true);
    setKeyError("");
    api.act(target.id, action, {}).then((a) => setAlerts((known) => mergeAlert(known, a)), (failure: unknown) => {
      const refused = failure instanceof ApiError && (failure.status === 409 || failure.status === 403);
      setKeyError((refused ? t("action.refused") : t("action.failed")) + errorText(failure));
    });
  }, [alerts, ordered, t]);

  useEffect(() => {
    const unlock = (): void => player.unlock();
    window.addEventListener("pointerdown", unlock);
    window.addEventListener("keydown", unlock);
    return () => {
      window.removeEventListener("pointerdown", unlock);
      window.removeEventListener("keydown", unlock);
    };
  }, []);

  useEffect(() => {
    if (!me) return;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === "Escape") {
        if (showShortcuts) setShowShortcuts(false);
        else if (detailOpen) setDetailOpen(false);
        return;
      }
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "?") { event.preventDefault(); setShowShortcuts(true); return; }
      if (event.key === "s") { event.preventDefault(); silenceAll(); return; }
      if (view !== "queue") return;
      const list = ordered.main;
      const current = selectedRef.current;
      const index = current === null ? -1 : list.findIndex((a) => a.id === current);
      const move = (delta: number): void => {
        if (list.length === 0) return;
        const next = index < 0 ? (delta > 0 ? 0 : list.length - 1)
          : Math.min(list.length - 1, Math.max(0, index + delta));
        const target = list[next];
        if (target === undefined) return;
        selectedRef.current = target.id;
        setSelectedId(target.id);
        document.querySelector<HTMLElement>(`#alerts [data-alert-id="${CSS.escape(target.id)}"]`)?.focus();
      };
      const inQueueTable = event.target instanceof HTMLElement && event.target.closest("#alerts") !== null;
      if (event.key === "ArrowDown" || event.key === "j") { event.preventDefault(); move(1); }
      else if (event.key === "ArrowUp" || event.key === "k") { event.preventDefault(); move(-1); }
      else if (event.key === "Enter" && current !== null && !inQueueTable
               && !(event.target instanceof HTMLButtonElement) && !(event.target instanceof HTMLAnchorElement)) {
        select(current, true);
      }
      else if (event.key === "a") { event.preventDefault(); actOnSelected("ack"); }
      else if (event.key === "c") { event.preventDefault(); actOnSelected("claim"); }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [me, view, ordered, showShortcuts, detailOpen, silenceAll, actOnSelected, select]);

  // --- rendering
  if (me === undefined) return <p class="loading">{t("app.loading")}</p>;
  if (me === null) {
    return <Login t={t} language={language} onLanguage={setLanguage} onLoggedIn={loggedIn} />;
  }
  const session: Session = { t, language, me, settings };
  const views: ViewName[] = ["queue"];
  if (plans !== null) views.push("plan");
  views.push("hazards", "devices", "modes", "drills", "stats");
  if (available.handover) views.push("handover");
  if (allows(me.role, "supervisor")) views.push("audit");
  if (me.role === "admin") views.push("users");
  if (available.sops) views.push("sops");

  const switchLanguage = (): void => {
    const next: Language = language === "en" ? "zh-CN" : "en";
    setLanguage(next);
    api.setLanguage(next).then((who) => setMe((m) => (m ? { ...m, language: who.language ?? next } : m)), () => undefined);
  };
  const logout = (): void => {
    stream.current?.stop();
    player.stop();
    api.logout().finally(() => {
      setMe(null);
      setAlerts(new Map());
      setSelectedId(null);
    });
  };
  const showPlan = (deviceId: string): void => {
    setPlanFocus(deviceId);
    setView("plan");
  };

  return (
    <SessionContext.Provider value={session}>
      <Header siteName={settings.site_name} now={now} status={status} views={views} view={view}
              onView={(next) => { setView(next); setViewRound((round) => round + 1); }} onLanguage={switchLanguage} onLogout={logout}
              onShortcuts={() => setShowShortcuts(true)} />
      {status === "not-live" ? <NotLive /> : null}
      {queueError ? <div id="queue-error" class="not-live" role="alert">{t("queue.loadFailed")}{queueError}</div> : null}
      <CriticalBanner count={counts.criticalUnacknowledged} />
      <ModesBanner modes={[...modes.active, ...modes.upcoming]} now={now} />
      <div class="sound-bar">
        <button type="button" id="silence" class={sounding.length > 0 ? "danger" : ""}
                disabled={sounding.length === 0} onClick={silenceAll}>
          {sounding.length > 0 ? `${t("sound.silence")} (s)` : silenced.size > 0 ? t("sound.silenced") : t("sound.quiet")}
        </button>
      </div>
      <main id="main" class={`view-${view}`}>
        {view === "queue" ? (
          <div class={detailOpen && selected ? "queue-layout with-detail" : "queue-layout"}>
            <Queue main={ordered.main} snoozed={ordered.snoozed} now={now} selectedId={selectedId}
                   soundingIds={soundingIds} onSelect={select} />
            {detailOpen && selected ? (
              <AlertPanel alert={selected} alerts={allAlerts} devices={devices} plans={plans}
                          focusToken={focusToken} outsideError={keyError}
                          onChanged={(a) => setAlerts((known) => mergeAlert(known, a))}
                          onClose={() => setDetailOpen(false)} onShowPlan={showPlan}
                          onMakeHazard={(a) => { setHazardFrom(a); setView("hazards"); }} />
            ) : null}
          </div>
        ) : null}
        {view === "plan" && plans !== null ? (
          <PlanView plans={plans} devices={devices} alerts={allAlerts} focusDevice={planFocus} />
        ) : null}
        {view === "hazards" ? (
          <HazardsView key={viewRound} devices={devices} plans={plans} alerts={allAlerts} fromAlert={hazardFrom}
                       onFromAlertDone={() => setHazardFrom(null)} />
        ) : null}
        {view === "devices" ? <DevicesView devices={devices} modes={modes} reload={loadDevices} reloadModes={loadModes} /> : null}
        {view === "modes" ? <ModesView modes={modes} reload={loadModes} /> : null}
        {view === "handover" ? <HandoverView alerts={alerts} /> : null}
        {view === "audit" ? <AuditView /> : null}
        {view === "users" ? <UsersView /> : null}
        {view === "sops" ? <SopView /> : null}
        {view === "drills" ? <DrillsView /> : null}
        {view === "stats" ? <StatsView /> : null}
      </main>
      {showShortcuts ? <Shortcuts onClose={() => setShowShortcuts(false)} /> : null}
    </SessionContext.Provider>
  );
}

function applyMode(listing: ModeListing, change: string, mode: Mode): ModeListing {
  const without = (list: Mode[]): Mode[] => list.filter((m) => m.id !== mode.id);
  if (change === "ended" || change === "expired") {
    return { active: without(listing.active), upcoming: without(listing.upcoming),
             recent: [mode, ...without(listing.recent)] };
  }
  if (change === "scheduled") return { ...listing, upcoming: [...without(listing.upcoming), mode] };
  return { ...listing, active: [...without(listing.active), mode], upcoming: without(listing.upcoming) };
}
