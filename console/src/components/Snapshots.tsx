import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { useSession } from "../context";
import type { Device } from "../types";

const REFRESH_MS = 4000;

export function isCamera(device: Device): boolean {
  return device.type === "camera" || device.type.includes("camera") || device.type === "onvif";
}

function Snapshot({ camera, stamp }: { camera: Device; stamp: number }) {
  const { t } = useSession();
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [stamp]);
  return (
    <figure class="snapshot">
      {failed ? <div class="snapshot-missing">{t("detail.snapshotMissing")}</div>
        : <img src={api.snapshotUrl(camera.id, stamp)} alt={camera.name}
               onError={() => setFailed(true)} />}
      <figcaption>{camera.name}</figcaption>
    </figure>
  );
}

/** The current pictures of the cameras in the alert's zone, refreshed every few seconds. */
export function Snapshots({ zone, devices }: { zone: string; devices: Device[] }) {
  const { t } = useSession();
  const [stamp, setStamp] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setStamp(Date.now()), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);
  const cameras = devices.filter((d) => isCamera(d) && d.zone === zone);
  return (
    <section class="snapshots" aria-labelledby="snapshots-heading">
      <h3 id="snapshots-heading">{t("detail.cameras")}</h3>
      {cameras.length === 0 ? <p class="muted">{t("detail.noCameras")}</p>
        : <div class="snapshot-grid">{cameras.map((c) => <Snapshot key={c.id} camera={c} stamp={stamp} />)}</div>}
    </section>
  );
}
