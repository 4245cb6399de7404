import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, isNotFound } from "./api";

export interface Loaded<T> {
  data: T | null;
  /** The endpoint does not exist (yet): the view hides itself. */
  missing: boolean;
  error: string;
  reload: () => void;
}

/** Loads once, again on `reload()` and every `everyMs` when given. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState("");
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  useEffect(() => {
    let alive = true;
    const run = (): void => {
      load().then((value) => {
        if (!alive) return;
        setData(value);
        setMissing(false);
        setError("");
      }, (failure: unknown) => {
        if (!alive) return;
        if (isNotFound(failure)) setMissing(true);
        else setError(failure instanceof ApiError ? failure.detail || `HTTP ${failure.status}` : String(failure));
      });
    };
    run();
    const timer = everyMs > 0 ? window.setInterval(run, everyMs) : 0;
    return () => {
      alive = false;
      if (timer) window.clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  return { data, missing, error, reload };
}

export function errorText(failure: unknown): string {
  if (failure instanceof ApiError) return failure.detail || `HTTP ${failure.status}`;
  return failure instanceof Error ? failure.message : String(failure);
}
