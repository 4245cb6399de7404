import { describe, expect, it } from "vitest";
import { offeredActions } from "./actions";
import { pinState } from "./plan";
import { alert } from "./test/alerts";
import type { Device, Me } from "./types";

const operator: Me = { name: "li.wei", role: "operator", kind: "user", csrf_token: "x", language: "zh-CN" };
const supervisor: Me = { ...operator, name: "chief", role: "supervisor" };

describe("actions offered", () => {
  it("lets an operator acknowledge an open alert but not snooze a critical one", () => {
    const offered = offeredActions(alert("a", { severity: "critical" }), operator);
    expect(offered.ack).toBe(true);
    expect(offered.snooze).toBe(false);
    expect(offeredActions(alert("b", { severity: "high" }), operator).snooze).toBe(true);
  });

  it("makes a latched alert be acknowledged before it is resolved, and closed by a supervisor", () => {
    expect(offeredActions(alert("a", { latching: true }), operator).resolve).toBe(false);
    expect(offeredActions(alert("a", { latching: true, state: "acknowledged" }), operator).resolve).toBe(true);
    expect(offeredActions(alert("a", { latching: true, state: "resolved" }), operator).close).toBe(false);
    expect(offeredActions(alert("a", { latching: true, state: "resolved" }), supervisor).close).toBe(true);
  });

  it("offers claim to others and release to the owner; promote only for drills", () => {
    const mine = alert("a", { owner: "li.wei" });
    expect(offeredActions(mine, operator).claim).toBe(false);
    expect(offeredActions(mine, operator).release).toBe(true);
    expect(offeredActions(alert("b", { owner: "wang" }), operator).release).toBe(false);
    expect(offeredActions(alert("c", { drill: true }), operator).promote).toBe(true);
    expect(offeredActions(alert("d"), operator).promote).toBe(false);
    expect(offeredActions(alert("e"), { ...operator, role: "viewer" }).ack).toBe(false);
  });
});

describe("floor plan pins", () => {
  const device = (availability: Device["availability"]): Device => ({
    id: "pb-1", type: "panic_button", name: "A301", zone: "a3", availability, detail: null,
    last_seen: null, since: null, heartbeat_s: null, malformed: 0, in_maintenance: false, points: {} });
  it("shows an active alert red, else the device's availability", () => {
    expect(pinState(device("online"), [alert("x", { device_id: "pb-1" })], "pb-1")).toBe("alarm");
    expect(pinState(device("online"), [alert("x", { device_id: "pb-1", state: "closed" })], "pb-1")).toBe("ok");
    expect(pinState(device("fault"), [], "pb-1")).toBe("fault");
    expect(pinState(device("offline"), [], "pb-1")).toBe("offline");
    expect(pinState(undefined, [], "pb-1")).toBe("unknown");
  });
});

describe("floor picker", () => {
  it("labels a plan without empty parts", async () => {
    const { planOptionLabel } = await import("./plan");
    const plan = { id: "p", name: "校园总平面图", name_en: "Campus", building: "", floor: "", width: 1, height: 1, image: "", devices: [] };
    expect(planOptionLabel(plan, "zh-CN")).toBe("校园总平面图");
    expect(planOptionLabel({ ...plan, name: "教学楼A 三层", building: "A", floor: "3F" }, "zh-CN")).toBe("A · 3F · 教学楼A 三层");
    expect(planOptionLabel({ ...plan, building: "A", floor: "3F" }, "en")).toBe("A · 3F · Campus");
  });
});
