import { useEffect, useRef } from "preact/hooks";
import { useSession } from "../context";
import type { Key } from "../i18n";

const LINES: Key[] = ["shortcuts.move", "shortcuts.open", "shortcuts.ack", "shortcuts.claim",
  "shortcuts.silence", "shortcuts.frames", "shortcuts.help", "shortcuts.escape"];

export function Shortcuts({ onClose }: { onClose(): void }) {
  const { t } = useSession();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div class="dialog-backdrop" onClick={onClose}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-heading"
           id="shortcuts" onClick={(e) => e.stopPropagation()}>
        <h2 id="shortcuts-heading">{t("shortcuts.heading")}</h2>
        <ul class="plain shortcuts">{LINES.map((k) => <li key={k}>{t(k)}</li>)}</ul>
        <button type="button" ref={closeRef} onClick={onClose}>{t("shortcuts.close")}</button>
      </div>
    </div>
  );
}
