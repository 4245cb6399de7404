import { useEffect, useState } from "preact/hooks";
import { api, isNotFound } from "../api";
import { useSession } from "../context";
import { formatDateTime } from "../format";
import type { EvidenceFrame } from "../types";

/** The alert's clip, frame by frame (←/→ when the picture has focus). */
export function Evidence({ alertId, revision }: { alertId: string; revision: number }) {
  const { t } = useSession();
  const [frames, setFrames] = useState<EvidenceFrame[] | null>(null);
  const [missing, setMissing] = useState(false);
  const [index, setIndex] = useState(0);
  useEffect(() => {
    let alive = true;
    api.evidence(alertId).then((list) => {
      if (!alive) return;
      setFrames(list);
      setMissing(false);
      setIndex((i) => Math.min(i, Math.max(0, list.length - 1)));
    }, (failure: unknown) => {
      if (alive && isNotFound(failure)) setMissing(true);
    });
    return () => { alive = false; };
  }, [alertId, revision]);
  useEffect(() => setIndex(0), [alertId]);
  if (missing) return null;
  const list = frames ?? [];
  const frame = list[index];
  const step = (delta: number): void => {
    if (list.length === 0) return;
    setIndex((i) => (i + delta + list.length) % list.length);
  };
  return (
    <section class="evidence" aria-labelledby="evidence-heading">
      <h3 id="evidence-heading">{t("detail.evidence")}</h3>
      {frame === undefined ? <p class="muted">{t("detail.noEvidence")}</p> : (
        <div class="clip">
          <div class="clip-frame" tabIndex={0} data-testid="evidence-clip"
               aria-label={`${t("detail.evidence")} ${t("detail.frame", { n: index + 1, total: list.length })}`}
               onKeyDown={(e) => {
                 if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
                 if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
               }}>
            <img src={frame.url} alt={`${frame.camera_id} ${formatDateTime(frame.captured_at)}`} />
          </div>
          <div class="clip-controls">
            <button type="button" onClick={() => step(-1)} aria-label={t("detail.prev")}>←</button>
            <span class="frame-no">{t("detail.frame", { n: index + 1, total: list.length })}</span>
            <button type="button" onClick={() => step(1)} aria-label={t("detail.next")}>→</button>
          </div>
          <dl class="facts small-facts">
            <dt>{t("detail.capturedAt")}</dt><dd>{formatDateTime(frame.captured_at)} ({frame.camera_id}, {frame.role})</dd>
            <dt>{t("detail.sha256")}</dt><dd class="hash">{frame.sha256}</dd>
          </dl>
        </div>
      )}
      <a class="button-link" href={api.packageUrl(alertId)} download>{t("detail.package")}</a>
    </section>
  );
}
