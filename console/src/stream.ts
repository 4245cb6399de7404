/** The live stream: EventSource("/stream") resumes by itself with Last-Event-ID. This wrapper
 * says when it is live, and raises "not live" once it has been down for more than 3 s. */

import { normalizeAlert } from "./api";
import type { Alert, AlertMessage, ModeMessage } from "./types";

export const NOT_LIVE_AFTER_MS = 3000;

export interface StreamHandlers {
  onAlert(alert: Alert, message: AlertMessage): void;
  onMode(message: ModeMessage): void;
  /** The server lost track (reset) or the stream came back after a gap: re-read the state. */
  onResync(reason: "open" | "reset"): void;
  onStatus(status: StreamStatus): void;
}

export type StreamStatus = "connecting" | "live" | "reconnecting" | "not-live";

export class LiveStream {
  private source: EventSource | null = null;
  private lastId: number | null = null;
  private notLiveTimer: number | null = null;
  private status: StreamStatus = "connecting";

  constructor(private readonly handlers: StreamHandlers, private readonly url = "/stream") {}

  /** Listen from change `after` on (the queue's `seq`: nothing between is missed). */
  start(after: number | null = null): void {
    this.stop();
    this.setStatus("connecting");
    this.armNotLive();
    this.lastId = after;
    const url = after === null ? this.url : `${this.url}?after=${after}`;
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      this.disarm();
      this.setStatus("live");
      this.handlers.onResync("open");
    };
    source.onerror = () => {
      if (this.status === "live" || this.status === "connecting") {
        this.setStatus(this.status === "live" ? "reconnecting" : "connecting");
      }
      this.armNotLive();
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered an error): try again ourselves.
        window.setTimeout(() => {
          if (this.source !== source) return;
          this.handlers.onResync("reset");  // a 401 behind it shows the login again
          this.start(this.lastId);  // from the last change it heard: the server fills in
        }, 2000);
      }
    };
    const heard = (event: MessageEvent<string>) => {
      const id = Number.parseInt(event.lastEventId, 10);
      if (!Number.isNaN(id)) this.lastId = id;
    };
    source.addEventListener("alert", (event: MessageEvent<string>) => {
      heard(event);
      const message = JSON.parse(event.data) as AlertMessage;
      this.handlers.onAlert(normalizeAlert(message.alert), message);
    });
    source.addEventListener("mode", (event: MessageEvent<string>) => {
      heard(event);
      this.handlers.onMode(JSON.parse(event.data) as ModeMessage);
    });
    source.addEventListener("reset", () => this.handlers.onResync("reset"));
  }

  /** Connect again from the last change heard (the server fills in what was missed). */
  restart(): void {
    this.start(this.lastId);
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    this.disarm();
  }

  private armNotLive(): void {
    if (this.notLiveTimer !== null) return;
    this.notLiveTimer = window.setTimeout(() => {
      this.notLiveTimer = null;
      if (this.status !== "live") this.setStatus("not-live");
    }, NOT_LIVE_AFTER_MS);
  }

  private disarm(): void {
    if (this.notLiveTimer !== null) window.clearTimeout(this.notLiveTimer);
    this.notLiveTimer = null;
  }

  private setStatus(status: StreamStatus): void {
    this.status = status;
    this.handlers.onStatus(status);
  }
}
