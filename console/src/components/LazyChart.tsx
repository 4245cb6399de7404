import { Suspense, lazy } from "preact/compat";
import type { ComponentProps } from "preact";
import type { EChart as Eager } from "./EChart";

// ECharts loads with the first chart: the alarm queue never waits for it.
const Loaded = lazy(() => import("./EChart").then((module) => ({ default: module.EChart })));

export function Chart(props: ComponentProps<typeof Eager>) {
  return (
    <Suspense fallback={<div class="stats-chart stats-loading" style={{ height: `${props.height ?? 320}px` }} />}>
      <Loaded {...props} />
    </Suspense>
  );
}
