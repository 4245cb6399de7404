import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveStream, NOT_LIVE_AFTER_MS, type StreamStatus } from "./stream";

/** A stand-in for the browser's EventSource that the test drives. */
class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static last: FakeEventSource | null = null;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((event: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, listener: (event: { data: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }
  fail(): void {
    this.readyState = FakeEventSource.CONNECTING;  // the browser retries by itself
    this.onerror?.();
  }
  emit(type: string, data: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ data: JSON.stringify(data) });
  }
}

function setup() {
  const statuses: StreamStatus[] = [];
  const resyncs: string[] = [];
  const alerts: string[] = [];
  const stream = new LiveStream({
    onAlert: (alert) => alerts.push(`${alert.id}:${alert.owner === "" ? "unclaimed" : alert.owner}`),
    onMode: () => undefined,
    onResync: (reason) => resyncs.push(reason),
    onStatus: (status) => statuses.push(status),
  });
  stream.start();
  const source = FakeEventSource.last;
  if (source === null) throw new Error("no EventSource");
  return { stream, source, statuses, resyncs, alerts, last: () => statuses[statuses.length - 1] };
}

describe("live stream", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal("window", globalThis);
    vi.stubGlobal("EventSource", FakeEventSource);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("is live once open, and re-reads the state then", () => {
    const { source, last, resyncs } = setup();
    expect(last()).toBe("connecting");
    source.open();
    expect(last()).toBe("live");
    expect(resyncs).toEqual(["open"]);
  });

  it("says NOT LIVE when it has been down for more than 3 s, and re-reads when back", () => {
    const { source, last, resyncs } = setup();
    source.open();
    source.fail();
    expect(last()).toBe("reconnecting");
    vi.advanceTimersByTime(NOT_LIVE_AFTER_MS - 1);
    expect(last()).toBe("reconnecting");
    vi.advanceTimersByTime(2);
    expect(last()).toBe("not-live");
    source.open();
    expect(last()).toBe("live");
    expect(resyncs).toEqual(["open", "open"]);
  });

  it("stays live through a short drop", () => {
    const { source, last } = setup();
    source.open();
    source.fail();
    vi.advanceTimersByTime(1000);
    source.open();
    vi.advanceTimersByTime(10_000);
    expect(last()).toBe("live");
  });

  it("says NOT LIVE when it never opens", () => {
    const { last } = setup();
    vi.advanceTimersByTime(NOT_LIVE_AFTER_MS + 1);
    expect(last()).toBe("not-live");
  });

  it("re-reads on reset, and passes alerts on with the fields an older gateway lacks", () => {
    const { source, resyncs, alerts } = setup();
    source.open();
    source.emit("reset", {});
    expect(resyncs).toEqual(["open", "reset"]);
    source.emit("alert", { type: "alert", seq: 1, change: "raised", actor: "system", alert: { id: "a1" } });
    expect(alerts).toEqual(["a1:unclaimed"]);
  });
});
