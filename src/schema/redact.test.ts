import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('removes SAS signatures from URIs, JSON-escaped or not, and keeps the rest of the query', () => {
    const uri = 'https://a.blob.core.windows.net/c/b.csv?sv=2022-11-02&sp=r&sig=abc%2Bdef%3D&se=2025';
    expect(redactSecrets(uri)).toBe(`https://a.blob.core.windows.net/c/b.csv?sv=2022-11-02&sp=r&sig=${REDACTED}&se=2025`);
    expect(redactSecrets('{"uri":"https://x/y?sig=SECRET"}')).toBe(`{"uri":"https://x/y?sig=${REDACTED}"}`);
    expect(redactSecrets('"https://x/y?sv=1\\u0026sig=SECRET\\u0026se=2"')).toBe(`"https://x/y?sv=1\\u0026sig=${REDACTED}\\u0026se=2"`);
  });

  it('removes account keys, shared access keys, client secrets and passwords from connection strings', () => {
    const cs = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0+/==;EndpointSuffix=core.windows.net';
    expect(redactSecrets(cs)).toBe(`DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${REDACTED};EndpointSuffix=core.windows.net`);
    expect(redactSecrets('Endpoint=sb://n/;SharedAccessKeyName=r;SharedAccessKey=k3y=')).toBe(`Endpoint=sb://n/;SharedAccessKeyName=r;SharedAccessKey=${REDACTED}`);
    expect(redactSecrets('Server=s;Password=hunter2;')).toBe(`Server=s;Password=${REDACTED};`);
  });

  it('removes bearer tokens and bare JWTs', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl';
    expect(redactSecrets(`{"auth":"Bearer ${jwt}"}`)).toBe(`{"auth":"Bearer ${REDACTED}"}`);
    expect(redactSecrets(`token ${jwt} end`)).toBe(`token ${REDACTED} end`);
  });

  it('leaves text without secrets untouched (the same string, not a copy)', () => {
    const text = '{"objectKey":"/acct/c/blob","uri":"https://acct.blob.core.windows.net/c/blob?comp=metadata"}';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets(`x sig=${REDACTED}`)).toBe(`x sig=${REDACTED}`);
  });
});
