// HTTP Retry-After, shared by the sinks (429/503 from Sentinel, webhooks) and the CLI's server client (429 when busy).
/** `Retry-After` as seconds or an HTTP date → milliseconds from now (undefined if absent or unreadable). */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
