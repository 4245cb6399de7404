/** Times as the control room reads them: local wall-clock, 24 h. */

const two = (n: number): string => String(n).padStart(2, "0");

function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** 2026-12-03 16:34:05 */
export function formatDateTime(value: string | number | null | undefined): string {
  const d = toDate(value);
  if (d === null) return "—";
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} `
    + `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** 16:34:05, with the date when it is not today. */
export function formatTime(value: string | number | null | undefined, now: number = Date.now()): string {
  const d = toDate(value);
  if (d === null) return "—";
  const today = new Date(now);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return d.toDateString() === today.toDateString() ? time
    : `${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

export function clock(now: number): string {
  const d = new Date(now);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} `
    + `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
