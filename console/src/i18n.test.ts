import { describe, expect, it } from "vitest";
import { alertTitle, dictionaries, en, label, translator, zh } from "./i18n";
import { SEVERITIES } from "./types";

describe("translations", () => {
  it("has every key in both languages, none empty", () => {
    const keys = Object.keys(zh).sort();
    expect(Object.keys(en).sort()).toEqual(keys);
    for (const dictionary of Object.values(dictionaries)) {
      for (const key of keys) expect(dictionary[key as keyof typeof zh].trim(), key).not.toBe("");
    }
  });

  it("translates every value of the contract", () => {
    const values: Record<string, string[]> = {
      severity: [...SEVERITIES],
      state: ["open", "acknowledged", "resolved", "closed"],
      category: ["panic", "fire", "intrusion", "perimeter", "traffic", "hazard", "tamper", "device_health", "maintenance"],
      closure: ["real", "false_alarm", "technical", "drill"],
      stepKind: ["check", "yesno", "text", "call", "dispatch"],
      dispatch: ["guard", "police", "fire", "medical", "other"],
      role: ["viewer", "operator", "supervisor", "safety_chief", "admin"],
      availability: ["unknown", "online", "offline", "fault"],
    };
    for (const [prefix, list] of Object.entries(values)) {
      for (const value of list) {
        expect(`${prefix}.${value}` in zh, `${prefix}.${value}`).toBe(true);
      }
    }
  });

  it("keeps the same placeholders in both languages", () => {
    const holes = (text: string): string[] => (text.match(/\{[a-z]+\}/g) ?? []).sort();
    for (const key of Object.keys(zh) as (keyof typeof zh)[]) {
      expect(holes(en[key]), key).toEqual(holes(zh[key]));
    }
  });

  it("fills placeholders and falls back to the raw value", () => {
    expect(translator("en")("badge.escalated", { n: 2 })).toBe("escalated ×2");
    expect(translator("zh-CN")("severity.critical")).toBe("紧急");
    expect(label(translator("en"), "category", "brand_new")).toBe("brand_new");
  });

  it("shows title_en in English only when there is one", () => {
    expect(alertTitle("en", { title: "一键报警", title_en: "Panic" })).toBe("Panic");
    expect(alertTitle("en", { title: "一键报警", title_en: "" })).toBe("一键报警");
    expect(alertTitle("zh-CN", { title: "一键报警", title_en: "Panic" })).toBe("一键报警");
  });
});
