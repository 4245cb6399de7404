import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";

const css = readFileSync(new URL("./styles.css", import.meta.url), "utf-8");

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const value = hex.replace("#", "");
  const full = value.length === 3 ? value.split("").map((c) => c + c).join("") : value;
  const channels = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const [r = 0, g = 0, b = 0] = channels;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const vars = new Map([...css.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-fA-F]{3,6})/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
const v = (name: string): string => {
  const value = vars.get(name);
  if (value === undefined) throw new Error(`no --${name} in styles.css`);
  return value;
};

describe("colours (WCAG AA: text at least 4.5:1)", () => {
  const pairs: [string, string, string][] = [
    ["text on background", v("text"), v("bg")],
    ["text on panels", v("text"), v("panel")],
    ["muted on background", v("muted"), v("bg")],
    ["muted on panels", v("muted"), v("panel-2")],
    ["text on a late row", v("text"), v("late-bg")],
    ["muted on a late row", v("muted"), v("late-bg")],
    ["amber age on an amber row", v("warning"), v("amber-bg")],
    ["text on an amber row", v("text"), v("amber-bg")],
    ["links", v("accent"), v("panel")],
    ["chip text on critical", "#111111", v("critical")],
    ["chip text on high", "#111111", v("high")],
    ["chip text on warning", "#111111", v("warning")],
    ["chip text on info", "#111111", v("info")],
    ["live status", "#7ee787", "#0f3d1a"],
    ["NOT LIVE banner", "#ffffff", "#c0001a"],
    ["critical banner", "#ffffff", "#7a0012"],
    ["errors", "#ff8b8b", v("panel-2")],
    ["primary buttons", "#ffffff", "#1f6feb"],
  ];
  for (const [what, fg, bg] of pairs) {
    it(what, () => expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5));
  }
});
