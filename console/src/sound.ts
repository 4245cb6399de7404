/** When the console sounds, and how: pure rules, then a thin Web Audio player.
 *
 * An alert sounds while it is unacknowledged (cleared_unseen included), not snoozed, and its
 * severity has a pattern (info has none). Silencing stops the alerts sounding at that moment
 * only: one that starts sounding afterwards sounds again. Drills sound softly. */

import { inQueue, isSnoozed, isUnacknowledged } from "./queue";
import type { Alert, Severity } from "./types";

export interface Tone {
  /** Hz */
  frequency: number;
  /** seconds from the start of the pattern */
  start: number;
  /** seconds */
  duration: number;
}

export interface Pattern {
  /** The pattern repeats every so many seconds while the severity sounds. */
  everyS: number;
  tones: Tone[];
}

export const PATTERNS: Record<Severity, Pattern | null> = {
  critical: { everyS: 1, tones: [{ frequency: 988, start: 0, duration: 0.18 },
                                 { frequency: 659, start: 0.25, duration: 0.18 }] },
  high: { everyS: 3, tones: [{ frequency: 880, start: 0, duration: 0.25 },
                             { frequency: 880, start: 0.4, duration: 0.25 }] },
  warning: { everyS: 10, tones: [{ frequency: 660, start: 0, duration: 0.3 }] },
  info: null,
};

/** Loudness: real alarms full, drills soft. */
export const GAIN = { real: 0.25, drill: 0.05 } as const;

export function wouldSound(alert: Alert, now: number): boolean {
  return inQueue(alert) && isUnacknowledged(alert) && !isSnoozed(alert, now)
    && PATTERNS[alert.severity] !== null;
}

/** The ids of the alerts that sound now, given those silenced (ids). */
export function soundingAlerts(alerts: Iterable<Alert>, silenced: ReadonlySet<string>, now: number): Alert[] {
  const sounding: Alert[] = [];
  for (const alert of alerts) {
    if (wouldSound(alert, now) && !silenced.has(alert.id)) sounding.push(alert);
  }
  return sounding;
}

export interface Voice {
  severity: Severity;
  drill: boolean;
}

/** What plays: per severity one pattern, soft when all the alerts of that severity are drills. */
export function voices(sounding: Iterable<Alert>): Voice[] {
  const bySeverity = new Map<Severity, boolean>();
  for (const alert of sounding) {
    const drillOnly = bySeverity.get(alert.severity) ?? true;
    bySeverity.set(alert.severity, drillOnly && alert.drill);
  }
  const order: Severity[] = ["critical", "high", "warning", "info"];
  return order.filter((s) => bySeverity.has(s)).map((s) => ({ severity: s, drill: bySeverity.get(s) ?? false }));
}

/** Silencing remembers the ids sounding then; ids that no longer would sound are forgotten, so
 * an alert that sounds again later (re-opened) is heard. */
export function silence(sounding: Iterable<Alert>, silenced: ReadonlySet<string>): Set<string> {
  const next = new Set(silenced);
  for (const alert of sounding) next.add(alert.id);
  return next;
}

export function pruneSilenced(alerts: Iterable<Alert>, silenced: ReadonlySet<string>, now: number): Set<string> {
  const still = new Set<string>();
  for (const alert of alerts) {
    if (silenced.has(alert.id) && wouldSound(alert, now)) still.add(alert.id);
  }
  return still;
}

/** Plays the voices with oscillators; no sound files. Browsers start audio only after a user
 * gesture: `unlock()` is called on the first key or click. */
export class SoundPlayer {
  private context: AudioContext | null = null;
  private timers = new Map<Severity, number>();
  private current: Voice[] = [];

  unlock(): void {
    if (this.context === null && typeof AudioContext !== "undefined") {
      try {
        this.context = new AudioContext();
      } catch {
        this.context = null;
      }
    }
    void this.context?.resume().catch(() => undefined);
  }

  /** The severities playing now. */
  sounding(): Severity[] {
    return this.current.map((v) => v.severity);
  }

  play(next: Voice[]): void {
    const key = (vs: Voice[]): string => vs.map((v) => `${v.severity}:${v.drill}`).join(",");
    if (key(next) === key(this.current)) return;
    for (const timer of this.timers.values()) window.clearInterval(timer);
    this.timers.clear();
    this.current = next;
    for (const voice of next) {
      const pattern = PATTERNS[voice.severity];
      if (pattern === null) continue;
      this.beep(pattern, voice.drill);
      this.timers.set(voice.severity,
        window.setInterval(() => this.beep(pattern, voice.drill), pattern.everyS * 1000));
    }
  }

  stop(): void {
    this.play([]);
  }

  private beep(pattern: Pattern, drill: boolean): void {
    const context = this.context;
    if (context === null || context.state !== "running") return;
    const gainValue = drill ? GAIN.drill : GAIN.real;
    for (const tone of pattern.tones) {
      const at = context.currentTime + tone.start;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = tone.frequency;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(gainValue, at + 0.01);
      gain.gain.setValueAtTime(gainValue, at + tone.duration - 0.02);
      gain.gain.linearRampToValueAtTime(0, at + tone.duration);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + tone.duration + 0.02);
    }
  }
}
