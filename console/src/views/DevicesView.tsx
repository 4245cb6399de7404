import { useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import { formatDateTime, formatTime } from "../format";
import { errorText } from "../hooks";
import { label } from "../i18n";
import type { Device, ModeListing } from "../types";
import { allows } from "../types";

function MaintenanceControl({ device, modeId, onDone }: { device: Device; modeId: string | null; onDone(): void }) {
  const { t } = useSession();
  const [minutes, setMinutes] = useState(60);
  const [action, setAction] = useState<"mark" | "suppress">("suppress");
  const [error, setError] = useState("");
  const act = async (): Promise<void> => {
    setError("");
    try {
      if (modeId) await api.endMode(modeId, "");
      else await api.startMaintenance(device.id, minutes, action, "");
      onDone();
    } catch (failure) {
      setError(t("action.refused") + errorText(failure));
    }
  };
  return (
    <span class="maintenance-control">
      {modeId ? null : (
        <>
          <input type="number" min={1} value={minutes} aria-label={t("devices.minutes")}
                 onInput={(e) => setMinutes(Number(e.currentTarget.value) || 1)} />
          <select value={action} aria-label={t("devices.maintenance")}
                  onChange={(e) => setAction(e.currentTarget.value === "mark" ? "mark" : "suppress")}>
            <option value="suppress">{t("devices.suppress")}</option>
            <option value="mark">{t("devices.mark")}</option>
          </select>
        </>
      )}
      <button type="button" class="small" onClick={() => void act()}>{modeId ? t("devices.end") : t("devices.start")}</button>
      {error ? <span class="error-text">{error}</span> : null}
    </span>
  );
}

export function DevicesView({ devices, modes, reload, reloadModes }: {
  devices: Device[]; modes: ModeListing; reload(): void; reloadModes(): void;
}) {
  const { t, me } = useSession();
  const supervisor = allows(me.role, "supervisor");
  const byType = new Map<string, Device[]>();
  for (const d of devices) byType.set(d.type, [...(byType.get(d.type) ?? []), d]);
  const maintenanceOf = (id: string): string | null =>
    modes.active.find((m) => m.kind === "maintenance" && m.device_id === id)?.id ?? null;
  const done = (): void => { reload(); reloadModes(); };
  return (
    <section id="devices" class="panel" aria-labelledby="devices-heading">
      <h2 id="devices-heading">{t("devices.heading")}</h2>
      {[...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, list]) => (
        <section key={type} class="device-group">
          <h3>{label(t, "deviceType", type)} <span class="muted mono">{type}</span> ({list.length})</h3>
          <div class="table-scroll">
            <table class="data-table devices-table">
              <thead><tr>
                <th scope="col">{t("devices.name")}</th><th scope="col">{t("devices.id")}</th>
                <th scope="col">{t("devices.zone")}</th><th scope="col">{t("devices.availability")}</th>
                <th scope="col">{t("devices.lastSeen")}</th><th scope="col">{t("devices.malformed")}</th>
                <th scope="col">{t("devices.maintenance")}</th>
              </tr></thead>
              <tbody>
                {list.map((d) => {
                  const modeId = maintenanceOf(d.id);
                  return (
                    <tr key={d.id} data-device-id={d.id}>
                      <td>{d.name}</td><td class="mono">{d.id}</td><td>{d.zone}</td>
                      <td class={`avail avail-${d.availability}`}>
                        {label(t, "availability", d.availability)}
                        {d.since ? <span class="muted"> · {t("devices.since")} {formatTime(d.since)}</span> : null}
                        {d.detail ? <div class="muted small-text">{d.detail}</div> : null}
                      </td>
                      <td>{d.last_seen ? formatDateTime(d.last_seen) : "—"}</td>
                      <td>{d.malformed ?? 0}</td>
                      <td>
                        {d.in_maintenance || modeId ? <span class="badge badge-maintenance">{t("devices.on")}</span> : t("devices.off")}
                        {supervisor ? <MaintenanceControl device={d} modeId={modeId} onDone={done} /> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </section>
  );
}
