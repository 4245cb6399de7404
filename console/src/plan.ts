/** The floor plan's rules, pure: a device's colour on the plan, and which plan shows a device. */

import { inQueue } from "./queue";
import type { Alert, Device, Plan } from "./types";

export type PinState = "alarm" | "fault" | "offline" | "ok" | "unknown";

export const PIN_COLOURS: Record<PinState, string> = {
  alarm: "#ff4d4f", fault: "#ff9f1a", offline: "#9aa4ae", ok: "#3fb950", unknown: "#6e7a86",
};

export function pinState(device: Device | undefined, alerts: Iterable<Alert>, deviceId: string): PinState {
  for (const alert of alerts) {
    if (alert.device_id === deviceId && inQueue(alert) && alert.state !== "resolved") return "alarm";
  }
  if (device === undefined) return "unknown";
  if (device.availability === "fault") return "fault";
  if (device.availability === "offline") return "offline";
  if (device.availability === "online") return "ok";
  return "unknown";
}

export function planOfDevice(plans: Plan[], deviceId: string): Plan | undefined {
  return plans.find((p) => p.devices.some((d) => d.device_id === deviceId));
}

/** "A · 3F · 教学楼A 三层", leaving out what the plan does not say. */
export function planOptionLabel(plan: Plan, language: "zh-CN" | "en"): string {
  const name = floorLabel(plan, language);
  const parts = [String(plan.building ?? ""), String(plan.floor ?? "")].filter((p) => p !== "");
  return [...parts, name].join(" · ");
}

export function floorLabel(plan: Plan, language: "zh-CN" | "en"): string {
  const name = language === "en" && plan.name_en ? plan.name_en : plan.name;
  return name || `${plan.building} ${plan.floor}`;
}
