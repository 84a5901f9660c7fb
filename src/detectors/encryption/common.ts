/** TLS versions as Azure spells them: `TLS1_0` (ARM), `TLS 1.0` (storage logs), `1.0` (SQL), `Tls10`. */
export function tlsMinor(v: string): string | null {
  const digits = v.replace(/[^0-9]/g, '');
  if (digits.length < 2) return null;
  return digits.slice(0, 2);
}

/** TLS 1.0 and 1.1 (and anything that reads as SSL): deprecated, downgradable. */
export function isLegacyTls(v: string | null): boolean {
  if (v === null) return false;
  if (/ssl/i.test(v)) return true;
  const m = tlsMinor(v);
  return m === '10' || m === '11';
}
