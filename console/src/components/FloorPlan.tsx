import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { useEffect, useRef } from "preact/hooks";
import { useSession } from "../context";
import type { Key } from "../i18n";
import { PIN_COLOURS, pinState, type PinState } from "../plan";
import type { Alert, Device, Plan } from "../types";

/** Something that is not a device pinned on the plan (a hazard), at its pixel position. */
export interface PlanMark { id: string; x: number; y: number; label: string; late: boolean }

interface Props {
  plan: Plan;
  devices: Device[];
  alerts: Alert[];
  highlight?: string | null;
  compact?: boolean;
  marks?: PlanMark[];
}

const NO_MARKS: PlanMark[] = [];

const PIN_LABELS: Record<PinState, Key> = {
  alarm: "plan.legend.alarm", fault: "availability.fault", offline: "availability.offline",
  ok: "plan.legend.ok", unknown: "plan.legend.unknown",
};

function tooltip(text: string): HTMLElement {
  const span = document.createElement("span");
  span.textContent = text;  // never HTML: device names come from the config
  return span;
}

/** A floor's picture in Leaflet's simple CRS (pixels), each device a coloured circle. */
export function FloorPlan({ plan, devices, alerts, highlight = null, compact = false, marks = NO_MARKS }: Props) {
  const { t } = useSession();
  const element = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const pins = useRef<L.LayerGroup | null>(null);

  useEffect(() => {
    const container = element.current;
    if (container === null) return;
    const instance = L.map(container, {
      crs: L.CRS.Simple, minZoom: -4, maxZoom: 3, zoomSnap: 0.25, attributionControl: false,
      keyboard: true,
    });
    const bounds: L.LatLngBoundsExpression = [[0, 0], [plan.height, plan.width]];
    L.imageOverlay(plan.image, bounds, { alt: plan.name }).addTo(instance);
    instance.fitBounds(bounds);
    pins.current = L.layerGroup().addTo(instance);
    map.current = instance;
    return () => {
      instance.remove();
      map.current = null;
      pins.current = null;
    };
  }, [plan.id, plan.image, plan.width, plan.height]);

  useEffect(() => {
    const group = pins.current;
    if (group === null || map.current === null) return;
    group.clearLayers();
    const byId = new Map(devices.map((d) => [d.id, d]));
    for (const pin of plan.devices) {
      const device = byId.get(pin.device_id);
      const state = pinState(device, alerts, pin.device_id);
      const lit = pin.device_id === highlight;
      const at: L.LatLngExpression = [plan.height - pin.y, pin.x];
      const marker = L.circleMarker(at, {
        radius: lit ? 16 : compact ? 8 : 10, color: lit ? "#ffffff" : "#0b0f14",
        weight: lit ? 4 : 2, fillColor: PIN_COLOURS[state], fillOpacity: 0.95,
        className: `pin pin-${state}${lit ? " pin-highlight" : ""}`,
      });
      marker.bindTooltip(tooltip(`${device?.name ?? pin.device_id} · ${t(PIN_LABELS[state])}`),
                         { permanent: lit, direction: "top", offset: [0, -8] });
      marker.addTo(group);
      if (lit) marker.bringToFront();
    }
    // Hazards: a warning triangle, red when overdue.
    const size = compact ? 14 : 18;
    for (const mark of marks) {
      const top = plan.height - mark.y;
      const triangle = L.polygon([[top + size, mark.x], [top - size * 0.7, mark.x - size], [top - size * 0.7, mark.x + size]], {
        color: "#0b0f14", weight: 2, fillColor: mark.late ? "#ff6b6b" : "#ffd33d", fillOpacity: 0.95,
        className: `hazard-mark${mark.late ? " late" : ""}`,
      });
      triangle.bindTooltip(tooltip(`${mark.id} · ${mark.label}`), { direction: "top" });
      triangle.addTo(group);
    }
  }, [plan, devices, alerts, highlight, compact, marks, t]);

  return <div ref={element} class={compact ? "floor-plan compact" : "floor-plan"} data-plan-id={plan.id}
              data-testid="floor-plan" />;
}
