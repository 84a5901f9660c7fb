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

  it('matches any casing of the marker words', () => {
    expect(redactSecrets('a=1;Accountkey=SECRET5+/==;b=2')).toBe(`a=1;Accountkey=${REDACTED};b=2`);
    expect(redactSecrets('ACCOUNTKEY=SECRET11')).toBe(`ACCOUNTKEY=${REDACTED}`);
    expect(redactSecrets('Server=tcp:x;User ID=u;Pwd=SECRET12;')).toBe(`Server=tcp:x;User ID=u;Pwd=${REDACTED};`);
    expect(redactSecrets('x?SIG=SECRET&SiG=SECRET2')).toBe(`x?SIG=${REDACTED}&SiG=${REDACTED}`);
  });

  it('reads a SAS signature URL-encoded inside another URL, and stops at the encoded &', () => {
    const copy = 'https://a/c/b?comp=copy&src=https%3A%2F%2Fo.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2022%26sig%3DSECRET%2Bab%3D%26se%3D2030';
    expect(redactSecrets(copy)).toBe(`https://a/c/b?comp=copy&src=https%3A%2F%2Fo.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2022%26sig%3D${REDACTED}%26se%3D2030`);
    expect(redactSecrets('u%3fSig%3dSECRET')).toBe(`u%3fSig%3d${REDACTED}`);
  });

  it('reads JSON-escaped separators and values through their escapes, keeping the JSON valid', () => {
    const text = '{"uri":"https://a/c?sv=2022\\u0026sig\\u003dSECRETSIG\\u0026se=1","conn":"AccountKey=ab\\u002BSECRETKEY\\/xyz==;EndpointSuffix=x"}';
    const out = redactSecrets(text);
    expect(out).toBe(`{"uri":"https://a/c?sv=2022\\u0026sig\\u003d${REDACTED}\\u0026se=1","conn":"AccountKey=${REDACTED};EndpointSuffix=x"}`);
    expect(JSON.parse(out)).toEqual({ uri: `https://a/c?sv=2022&sig=${REDACTED}&se=1`, conn: `AccountKey=${REDACTED};EndpointSuffix=x` });
    // A value ending at an escaped delimiter (\" \n \u0026) keeps the escape.
    expect(redactSecrets('"Password=SECRET\\nnext"')).toBe(`"Password=${REDACTED}\\nnext"`);
  });

  it('redacts JSON and single-quoted pairs whose key names a secret, and only string values', () => {
    expect(redactSecrets('{"clientSecret":"SECRET3","password": "SECRET 4;x","n":1}')).toBe(`{"clientSecret":"${REDACTED}","password": "${REDACTED}","n":1}`);
    expect(redactSecrets("{'accountKey': 'SECRET13'}")).toBe(`{'accountKey': '${REDACTED}'}`);
    expect(redactSecrets('{"storageAccountKey":"SECRET","client_secret":"SECRET","x-api-key":"SECRET","refresh_token":"SECRET"}'))
      .toBe(`{"storageAccountKey":"${REDACTED}","client_secret":"${REDACTED}","x-api-key":"${REDACTED}","refresh_token":"${REDACTED}"}`);
    // JSON held in a JSON string (Activity log request bodies), with an escaped quote inside the value.
    const body = '{"requestbody":"{\\"name\\":\\"app\\",\\"password\\":\\"SE\\\\\\"CRET\\",\\"x\\":1}"}';
    const redacted = redactSecrets(body);
    expect(JSON.parse(JSON.parse(redacted).requestbody)).toEqual({ name: 'app', password: REDACTED, x: 1 });
    // Not secrets: a value that is not a string, keys that only contain the word, the word as a value.
    const kept = '{"password":{"type":"securestring"},"passwordPolicy":"strict","authenticationMethod":"Password","isSecret":true,"authorization":{"action":"a"}}';
    expect(redactSecrets(kept)).toBe(kept);
  });

  it('takes code= only as a URL query parameter (function keys), never as a JSON key', () => {
    expect(redactSecrets('https://f.azurewebsites.net/api/x?code=FUNCKEY&y=1')).toBe(`https://f.azurewebsites.net/api/x?code=${REDACTED}&y=1`);
    expect(redactSecrets('https://f/api/x?a=1&Code=FUNCKEY')).toBe(`https://f/api/x?a=1&Code=${REDACTED}`);
    expect(redactSecrets('u%3Fcode%3DFUNCKEY')).toBe(`u%3Fcode%3D${REDACTED}`);
    const kept = '{"code":"AuthorizationFailed","errorCode=50126","statusCode":403,"zipcode=12345"}';
    expect(redactSecrets(kept)).toBe(kept);
  });

  it('redacts tokens after Bearer with any whitespace, OAuth token parameters and Authorization headers', () => {
    expect(redactSecrets('"Bearer\\tSECRET9"')).toBe(`"Bearer\\t${REDACTED}"`);
    expect(redactSecrets('Bearer\t  SECRET9 x')).toBe(`Bearer\t  ${REDACTED} x`);
    expect(redactSecrets('bearer%20SECRET9')).toBe(`bearer%20${REDACTED}`);
    expect(redactSecrets('access_token=SECRET8&x=1')).toBe(`access_token=${REDACTED}&x=1`);
    expect(redactSecrets('#id_token=SECRET&state=s')).toBe(`#id_token=${REDACTED}&state=s`);
    expect(redactSecrets('"Authorization: Basic U0VDUkVU"')).toBe(`"Authorization: Basic ${REDACTED}"`);
    expect(redactSecrets('{"Authorization":"SharedKey acct:SECRET"}')).toBe(`{"Authorization":"${REDACTED}"}`);
  });

  it('is idempotent', () => {
    const samples = ['a?sig=S&code=F', '{"clientSecret":"S"}', "{'accountKey': 'S'}", 'Bearer\tS', 'sig\\u003dS', 'Authorization: Basic S'];
    for (const s of samples) {
      const once = redactSecrets(s);
      expect(once).not.toBe(s);
      expect(redactSecrets(once)).toBe(once);
    }
  });

  it('leaves text without secrets untouched (the same string, not a copy)', () => {
    const text = '{"objectKey":"/acct/c/blob","uri":"https://acct.blob.core.windows.net/c/blob?comp=metadata"}';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets(`x sig=${REDACTED}`)).toBe(`x sig=${REDACTED}`);
  });
});
