import { Suspense, lazy } from "preact/compat";
import type { ComponentProps } from "preact";
import type { FloorPlan as Eager } from "./FloorPlan";

// Leaflet is most of the bundle and only the plan needs it: it loads with the first plan.
const Loaded = lazy(() => import("./FloorPlan").then((module) => ({ default: module.FloorPlan })));

export function FloorPlan(props: ComponentProps<typeof Eager>) {
  return (
    <Suspense fallback={<div class="plan-map plan-loading" />}>
      <Loaded {...props} />
    </Suspense>
  );
}
