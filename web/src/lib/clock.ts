/**
 * The gateway's "now" as the browser sees it. A gateway following a virtual plant runs on the
 * plant's (possibly accelerated) clock, so values, events and history are stamped hours away
 * from the browser's own time: ages, default ranges and "follow now" are measured on the
 * gateway's clock, learned from the time of each published snapshot (REST /live and the
 * stream, about once a second). On a real gateway the two clocks agree and the offset is the
 * network delay.
 */
let offset_ms = 0;

/** Unix ms on the gateway's clock. */
export function serverNow(): number {
  return Date.now() + offset_ms;
}

/** A snapshot stamped server_ms has just arrived. */
export function noteServerTime(server_ms: number): void {
  if (Number.isFinite(server_ms) && server_ms > 0) offset_ms = server_ms - Date.now();
}
