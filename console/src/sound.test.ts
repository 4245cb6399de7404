import { describe, expect, it } from "vitest";
import { PATTERNS, pruneSilenced, silence, soundingAlerts, voices } from "./sound";
import { T0, alert } from "./test/alerts";

const none = new Set<string>();
const ids = (list: { id: string }[]): string[] => list.map((a) => a.id).sort();

describe("sound rules", () => {
  it("sounds a critical alert until it is acknowledged", () => {
    const open = alert("p", { severity: "critical" });
    expect(ids(soundingAlerts([open], none, T0))).toEqual(["p"]);
    expect(soundingAlerts([{ ...open, state: "acknowledged" }], none, T0)).toEqual([]);
    expect(soundingAlerts([{ ...open, state: "resolved" }], none, T0)).toEqual([]);
    expect(soundingAlerts([{ ...open, state: "closed" }], none, T0)).toEqual([]);
  });

  it("sounds a cleared unseen alert until acknowledged", () => {
    const cleared = alert("c", { severity: "high", state: "resolved", cleared_unseen: true });
    expect(ids(soundingAlerts([cleared], none, T0))).toEqual(["c"]);
    expect(soundingAlerts([{ ...cleared, cleared_unseen: false }], none, T0)).toEqual([]);
  });

  it("has a pattern per severity, faster the more urgent, and none for info", () => {
    expect(PATTERNS.critical?.everyS).toBeLessThanOrEqual(1);
    expect(PATTERNS.high?.everyS).toBe(3);
    expect(PATTERNS.warning?.everyS).toBe(10);
    expect(PATTERNS.critical?.tones.map((t) => t.frequency)).toHaveLength(2);
    expect(new Set(PATTERNS.critical?.tones.map((t) => t.frequency)).size).toBe(2);
    expect(PATTERNS.info).toBeNull();
    expect(soundingAlerts([alert("i", { severity: "info" })], none, T0)).toEqual([]);
  });

  it("keeps silent what was silenced, until a new alert sounds", () => {
    const first = alert("first", { severity: "critical" });
    const silenced = silence(soundingAlerts([first], none, T0), none);
    expect(soundingAlerts([first], silenced, T0)).toEqual([]);
    const second = alert("second", { severity: "warning" });
    expect(ids(soundingAlerts([first, second], silenced, T0))).toEqual(["second"]);
  });

  it("forgets a silence once the alert stops sounding, so a re-opened one is heard", () => {
    const a = alert("a", { severity: "high" });
    const silenced = silence([a], none);
    const acked = { ...a, state: "acknowledged" as const };
    const pruned = pruneSilenced([acked], silenced, T0);
    expect(pruned.size).toBe(0);
    expect(ids(soundingAlerts([a], pruned, T0))).toEqual(["a"]);
  });

  it("does not sound snoozed alerts", () => {
    const snoozed = alert("z", { severity: "high", snoozed_until: new Date(T0 + 60_000).toISOString() });
    expect(soundingAlerts([snoozed], none, T0)).toEqual([]);
  });

  it("plays drills softly, and loud as soon as a real one of that severity sounds", () => {
    const drill = alert("d", { severity: "critical", drill: true });
    expect(voices([drill])).toEqual([{ severity: "critical", drill: true }]);
    expect(voices([drill, alert("r", { severity: "critical" })])).toEqual([{ severity: "critical", drill: false }]);
    expect(voices([alert("w", { severity: "warning" }), drill]).map((v) => v.severity)).toEqual(["critical", "warning"]);
  });
});
