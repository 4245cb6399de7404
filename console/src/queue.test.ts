import { describe, expect, it } from "vitest";
import { ageingLevel, formatAge, mergeAlert, orderQueue, pageTitle, queueCounts, replaceQueue } from "./queue";
import { T0, alert } from "./test/alerts";

const TARGETS = { critical: 60, high: 180, warning: 600, info: 1800 };

describe("queue order", () => {
  it("puts critical first, then the oldest within a severity", () => {
    const alerts = [
      alert("warning-old", { severity: "warning", ageS: 900 }),
      alert("high-new", { severity: "high", ageS: 10 }),
      alert("critical-new", { severity: "critical", ageS: 5 }),
      alert("high-old", { severity: "high", ageS: 300 }),
      alert("critical-old", { severity: "critical", ageS: 50 }),
      alert("info", { severity: "info", ageS: 5000 }),
    ];
    expect(orderQueue(alerts, T0).main.map((a) => a.id)).toEqual(
      ["critical-old", "critical-new", "high-old", "high-new", "warning-old", "info"]);
  });

  it("keeps snoozed alerts apart while the snooze lasts", () => {
    const later = new Date(T0 + 600_000).toISOString();
    const earlier = new Date(T0 - 1000).toISOString();
    const { main, snoozed } = orderQueue([
      alert("snoozed", { snoozed_until: later }),
      alert("snooze-over", { snoozed_until: earlier }),
      alert("plain"),
    ], T0);
    expect(snoozed.map((a) => a.id)).toEqual(["snoozed"]);
    expect(main.map((a) => a.id).sort()).toEqual(["plain", "snooze-over"]);
  });

  it("drops resolved and closed alerts unless they cleared unseen", () => {
    const { main } = orderQueue([
      alert("resolved", { state: "resolved" }),
      alert("closed", { state: "closed" }),
      alert("cleared", { state: "resolved", cleared_unseen: true }),
      alert("acked", { state: "acknowledged" }),
    ], T0);
    expect(main.map((a) => a.id).sort()).toEqual(["acked", "cleared"]);
  });
});

describe("ageing", () => {
  it("turns amber at half the target and late at the target", () => {
    expect(ageingLevel(alert("a", { severity: "critical", ageS: 29 }), TARGETS, T0)).toBe("normal");
    expect(ageingLevel(alert("a", { severity: "critical", ageS: 30 }), TARGETS, T0)).toBe("amber");
    expect(ageingLevel(alert("a", { severity: "critical", ageS: 59 }), TARGETS, T0)).toBe("amber");
    expect(ageingLevel(alert("a", { severity: "critical", ageS: 60 }), TARGETS, T0)).toBe("late");
    expect(ageingLevel(alert("a", { severity: "warning", ageS: 299 }), TARGETS, T0)).toBe("normal");
    expect(ageingLevel(alert("a", { severity: "warning", ageS: 300 }), TARGETS, T0)).toBe("amber");
  });

  it("never marks an acknowledged alert late, but does a cleared unseen one", () => {
    expect(ageingLevel(alert("a", { state: "acknowledged", ageS: 9999 }), TARGETS, T0)).toBe("normal");
    expect(ageingLevel(alert("a", { state: "resolved", cleared_unseen: true, ageS: 9999 }), TARGETS, T0))
      .toBe("late");
  });

  it("shows the age as mm:ss", () => {
    expect(formatAge(0)).toBe("00:00");
    expect(formatAge(65)).toBe("01:05");
    expect(formatAge(3599)).toBe("59:59");
    expect(formatAge(3661)).toBe("1:01:01");
  });
});

describe("counts", () => {
  it("counts unacknowledged alerts, cleared unseen included, and critical apart", () => {
    const counts = queueCounts([
      alert("c1", { severity: "critical" }),
      alert("c2", { severity: "critical", state: "acknowledged" }),
      alert("h", { severity: "high" }),
      alert("cleared", { severity: "critical", state: "resolved", cleared_unseen: true }),
      alert("closed", { state: "closed" }),
    ]);
    expect(counts).toEqual({ unacknowledged: 3, criticalUnacknowledged: 2 });
    expect(pageTitle(3, "控制室")).toBe("(3) 控制室");
    expect(pageTitle(0, "控制室")).toBe("控制室");
  });

  it("never lets an older revision overwrite a newer one", () => {
    const newer = alert("a", { revision: 3, state: "acknowledged" });
    const known = new Map([["a", newer]]);
    expect(mergeAlert(known, alert("a", { revision: 2 })).get("a")?.state).toBe("acknowledged");
    expect(mergeAlert(known, alert("a", { revision: 4, state: "resolved" })).get("a")?.state).toBe("resolved");
  });

  it("keeps the unchanged alerts' objects when the queue is re-read, and drops the gone", () => {
    const same = alert("a", { revision: 2 });
    const changed = alert("b", { revision: 1 });
    const known = new Map([["a", same], ["b", changed], ["c", alert("c")]]);
    const next = replaceQueue(known, [alert("a", { revision: 2 }), alert("b", { revision: 2 })]);
    expect(next.get("a")).toBe(same);
    expect(next.get("b")?.revision).toBe(2);
    expect([...next.keys()]).toEqual(["a", "b"]);
  });
});
