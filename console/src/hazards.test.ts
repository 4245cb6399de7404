import { describe, expect, it } from "vitest";
import { dateIn, offeredSteps, type Hazard } from "./hazards";
import { allows, type Role } from "./types";

function hazard(change: Partial<Hazard>): Hazard {
  return {
    id: "HZ-2026-0001", source: "patrol", alert_id: "", inspection_id: "", zone: "a3", plan: "", x: null, y: null,
    category: "exit", category_name: { zh: "安全出口", en: "Emergency exits" }, level: "general", title: "t",
    description: "d", found_by: "duty", found_at: "", responsible: "caretaker", deadline: "2026-12-10T23:59:59+08:00",
    fix_plan: "", state: "open", fixed_by: null, fixed_at: null, fix_note: "", verified_by: null, verified_at: null,
    closed_by: null, closed_at: null, reviewed_by: null, reviewed_at: null, reopened: 0, escalation_level: 0,
    overdue: false, steps: [], ...change,
  };
}
const person = (name: string, role: Role) => ({ name, role });

describe("the steps a person is offered on a hazard", () => {
  it("lets the responsible person plan and fix, a supervisor also reassign", () => {
    expect(offeredSteps(hazard({}), person("caretaker", "viewer"), allows)).toEqual(["plan", "fix"]);
    expect(offeredSteps(hazard({}), person("chief", "supervisor"), allows)).toEqual(["plan", "fix", "reassign"]);
    expect(offeredSteps(hazard({}), person("teacher", "operator"), allows)).toEqual([]);
  });
  it("never offers the fixer the verification of their own fix", () => {
    const fixed = hazard({ state: "fixed", fixed_by: "duty" });
    expect(offeredSteps(fixed, person("duty", "operator"), allows)).toEqual([]);
    expect(offeredSteps(fixed, person("night", "operator"), allows)).toEqual(["verify", "reject"]);
  });
  it("keeps the close-out for supervisors and the review for the safety chief", () => {
    expect(offeredSteps(hazard({ state: "verified" }), person("duty", "operator"), allows)).toEqual([]);
    expect(offeredSteps(hazard({ state: "verified" }), person("chief", "supervisor"), allows)).toEqual(["close", "reject"]);
    const review = hazard({ state: "review", level: "major", closed_by: "chief" });
    expect(offeredSteps(review, person("chief", "supervisor"), allows)).toEqual([]);
    expect(offeredSteps(review, person("safety", "safety_chief"), allows)).toEqual(["review", "reject"]);
    expect(offeredSteps(hazard({ state: "closed" }), person("chief", "supervisor"), allows)).toEqual(["reopen"]);
  });
  it("offers a deadline a week ahead as a plain date", () => {
    expect(dateIn(7, new Date(2026, 11, 3, 12).getTime())).toBe("2026-12-10");
  });
});
