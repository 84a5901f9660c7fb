/**
 * A seeded, dependency-free mutator for the ingest fuzz test (test/ingest-fuzz.test.ts): it
 * takes real records in Azure's shapes (the fixtures) and makes variants of them the way
 * forwarders, exports and people's hands break them: fields removed or retyped, odd strings
 * (empty, 100 KB, control characters, NUL, lone surrogates, odd Unicode), odd and impossible
 * times, numbers that are not numbers, `properties` as a string and back, deep nesting,
 * duplicate and prototype-named keys, unknown categories, broken Event Hubs envelopes,
 * truncated JSON and bytes that are not UTF-8. The same seed gives the same variants.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: small, fast, and good enough to pick mutations. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Rec = { [k: string]: Json };

/** One mutated unit of input: the text of a record (or of a body), or raw bytes when it is not UTF-8. */
export interface Variant {
  kind: string;
  text: string;
  /** Its records' texts when JSON.parse cannot tell them (a body with `records` twice: JSON.parse keeps the last array). */
  elements?: string[];
  /** Set when the bytes are not the UTF-8 of `text` (invalid sequences inserted). */
  bytes?: Buffer;
}

const FIXTURE_FILES = [
  'keyvault/auditevent.json', 'storage/blob.ndjson', 'activity/portal-export.json', 'activity/rbac-and-governance.ndjson',
  'activity/resource-settings.json', 'activity/role-assignment-owner.json', 'entra/pim-settings.json', 'entra/role-membership.ndjson',
  'signin/managed-identity-and-noninteractive.ndjson', 'signin/signins.json', 'aml/workspace.json',
];

function recordsOf(text: string, ndjson: boolean): Rec[] {
  const units = ndjson ? text.split('\n').filter((l) => l.trim() !== '') : [text];
  return units.flatMap((u) => {
    const j = JSON.parse(u) as Rec | Rec[];
    return Array.isArray(j) ? j : Array.isArray(j.records) ? (j.records as Rec[]) : [j];
  });
}

/**
 * The corpus, one group per fixture file: every record of the family fixtures, and every 40th
 * line of the demo day and of the first scenario day, in a fixed order. Variants pick a group,
 * then a record, so a family with few fixture records is fuzzed as much as Storage.
 */
export function loadCorpus(repoRoot: string): Rec[][] {
  const fixtures = join(repoRoot, 'fixtures');
  const groups: Rec[][] = FIXTURE_FILES.map((f) => recordsOf(readFileSync(join(fixtures, f), 'utf8'), f.endsWith('.ndjson')));
  for (const f of ['demo/contoso-research-2025-11-14-1.ndjson', 'scenarios/days/day-1.ndjson']) {
    const lines = readFileSync(join(fixtures, f), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const group: Rec[] = [];
    for (let i = 0; i < lines.length; i += 40) group.push(...recordsOf(lines[i]!, true));
    groups.push(group);
  }
  return groups;
}

/** Records of a folder of samples (`.json` bodies, arrays or records; `.ndjson`), in name order; [] when it is missing. */
export function loadSamples(dir: string): Rec[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(json|ndjson)$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => recordsOf(readFileSync(join(dir, n), 'utf8'), n.endsWith('.ndjson')));
}

// ---------------------------------------------------------------------------------------------
// Values

const HUNDRED_KB = 100 * 1024;

/** Strings that have broken parsers: empty, blank, long, control characters, NUL, lone surrogates, odd Unicode. */
export const ODD_STRINGS: readonly string[] = [
  '', ' ', '   \t  ', '\n', '\r\n', '\u0000', 'a\u0000b', '\u0001\u0002\u001f\u007f', '\u001e\u001f',
  '\ud800', '\udc00', 'x\ud800y', 'x\udfff', '\udc00\ud800', '\ud83d', 'end\ud83d',
  '😀', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'e\u0301\u0301\u0301', '\u202eevil', '\u200b', '\ufeff', '\u2028\u2029', '\uffff\ufffe', '\ufffd',
  'ＡｕｄｉｔＥｖｅｎｔ', 'İı', 'ß', '"quoted"', "'single'", '\\', '\\u0000', '{"a":1}', "{'a': 'b'}", '[1,2]', 'null', 'true',
  'NaN', 'Infinity', '-Infinity', '1e400', '0x1F', '<Redacted>', '[::1]:443', '::', ':', '1.2.3.4:99999', '/', '//',
  '/subscriptions/', '/SUBSCRIPTIONS//RESOURCEGROUPS//PROVIDERS/', '/providers/Microsoft.Authorization/roleAssignments/',
  'https://', 'https://v.vault.azure.net/secrets/%E0%A4%A/1', 'https://v.vault.azure.net/secrets/a%2Fb/%ZZ', 'http://[::1', '%',
  `${'\\'.repeat(1000)}`, `${'/'.repeat(2000)}`, `${'a:'.repeat(1000)}`, `${'/providers/'.repeat(500)}`, `${'1/'.repeat(1000)}1`,
];

/**
 * Text redaction rewrites before the JSON is parsed: secret-shaped values, keys and escapes
 * (a SAS signature, a password, a bearer token, a JWT) in every quoting JSON allows.
 */
export const SECRET_STRINGS: readonly string[] = [
  'https://a.blob.core.windows.net/c/b?sv=2022&sig=abc%2Bdef%3D&se=2025', 'sig=', 'sig=\\', 'sig="', "sig='x'", 'Sig=AbC\\u0026x',
  'password=hunter2;x=1', 'Password=', 'pwd=p"w', '{"clientSecret":"s3cr3t","n":1}', "{'accountKey': 'k=='}", '"secret": "x',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', 'Bearer \\n', 'bearer', 'Authorization: Basic dXNlcjpwYXNz',
  'authorization:', 'eyJ.eyJ.', `eyJ${'A'.repeat(40)}.${'B'.repeat(40)}.`, 'https://f.azurewebsites.net/api/x?code=abc==&y=1',
  '%3Fsv%3D1%26sig%3Dabc%26se%3D2', 'sig\u003dabc', 'AccountKey=abc/def+==;EndpointSuffix=core.windows.net', 'access_token=t&x',
  'SharedAccessSignature sr=x&sig=y&se=1', 'api-key: k', 'x-api-key=abc"', '\\"password\\":\\"p\\"',
];

/** Long strings (100 KB): picked rarely, as they are most of the bytes a run reads. */
export const LONG_STRINGS: readonly string[] = [
  'x'.repeat(HUNDRED_KB), 'é'.repeat(HUNDRED_KB / 2), '😀'.repeat(HUNDRED_KB / 4), ' '.repeat(HUNDRED_KB),
  `${'\ud800'.repeat(HUNDRED_KB / 8)}`, `${'/providers/'.repeat(HUNDRED_KB / 11)}`, `${'a:'.repeat(HUNDRED_KB / 2)}`,
];

/** Times in odd formats, far past and future, dates that do not exist, numbers and non-strings. */
export const ODD_TIMES: readonly Json[] = [
  '2025-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2025-04-31T12:00:00Z', '2025-13-01T00:00:00Z',
  '2025-00-10T00:00:00Z', '2025-11-00T00:00:00Z', '2025-11-14T24:00:00Z', '2025-11-14T25:00:00Z', '2025-11-14T23:60:00Z',
  '2025-11-14T23:59:60Z', '2025-11-14T05:00:00+99:99', '2025-11-14T05:00:00+14:00', '2025-11-14T05:00:00-1200',
  '2025-11-14T05:00:00.1234567890123456789Z', '2025-11-14T05:00:00.Z', '2025-11-14T05:00:00,123Z', '2025-11-14 05:00:00',
  '2025-11-14t05:00:00z', '2025-11-14', '2025-11-14T05:00', '2025-11-14T05', '20251114T050000Z', 'Fri, 14 Nov 2025 05:00:00 GMT',
  '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '1000-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.9999999Z',
  '+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '-000001-01-01T00:00:00Z',
  '2/29/2025 1:00:00 AM', '2/29/2024 1:00:00 AM', '13/14/2025 1:48:53 AM', '11/14/2025 13:48:53 PM', '11/14/2025 0:48:53 AM',
  '11/14/2025 12:00:00 AM', '11/14/2025 1:48:53.1234567 AM', '11/14/2025 1:48', '11/14/0000 1:00:00 AM', '11/14/99999 1:00 AM',
  '11/14/2025 23:59:59', '11/14/2025 24:00:00', '２０２５-11-14T05:00:00Z', '2025-11-14T05:00:00Z\u0000', ' 2025-11-14T05:00:00Z ',
  '1700000000', '1700000000000', 'NaN', 'Infinity', 'null', 'now', '', ' ', '\ud800',
  1700000000, 1700000000000, 1700000000.5, 1700000000123.456, 1e11, 99999999999, 7258118399, 7258118400, 946684799, 946684800,
  4102444800000, 253402300800000, 8.64e15, 8.64e15 + 1, -1, 0, -0, 1e300, -1e300, 5e-324,
  true, false, null, {}, [], ['2025-11-14T05:00:00Z'], { value: '2025-11-14T05:00:00Z' },
];

/** Numbers where integers are expected (durations, sizes, status codes), and strings that look like them. */
export const ODD_NUMBERS: readonly Json[] = [
  'NaN', 'nan', 'Infinity', '-Infinity', '1e400', '-1e400', '1e30', '0x1F', '0b11', '1_000', '١٢٣', ' 42 ', '4.2e1', '-0', '',
  '18446744073709551616', '9223372036854775807', '9223372036854775808', '-9223372036854775809', '12abc', '+5', '.5', '5.',
  1e30, -5, 3.7, -0.5, 2 ** 53 + 2, 2 ** 63, 2 ** 63 - 1024, 2 ** 64, -(2 ** 63), -(2 ** 63) - 4096, 1.7976931348623157e308,
  5e-324, 0.1, 0, -0, 1e21, 99999, 100, 199, 200, 399, 400, 600, true, null, {}, [], [200], { value: 200 },
];

/** Where the families read numbers. */
const NUMBER_PATHS: readonly string[][] = [
  ['durationMs'], ['statusCode'], ['resultSignature'], ['resultType'], ['properties', 'httpStatusCode'],
  ['properties', 'responseBodySize'], ['properties', 'requestBodySize'], ['properties', 'serverLatencyMs'],
  ['properties', 'status', 'errorCode'], ['properties', 'statusCode'], ['time'],
];

const TIME_KEYS = ['time', 'eventTimestamp'];

const CATEGORIES = [
  'AuditEvent', 'StorageRead', 'StorageWrite', 'StorageDelete', 'Administrative', 'Policy', 'Security', 'Write', 'Action',
  'AuditLogs', 'SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs',
  'AmlComputeJobEvent', 'DataStoreReadEvent', 'ModelsChangeEvent', 'RunEvent', 'Unknown', 'SomethingNew', 'records',
];

/** Values whose keys name Object.prototype's members: `String(x)` or `` `${x}` `` on them throws. */
const PROTO_VALUES: readonly Json[] = [{ toString: 1 }, { valueOf: {}, toString: 'x' }, { toJSON: 1 }, { constructor: 1 }, [{ toString: 1 }]];

/** The same as JSON text, with `__proto__` keys (JSON.parse makes them own properties). */
const PROTO_OBJECTS: readonly string[] = [
  '{"toString":1}', '{"valueOf":{},"toString":"x"}', '{"__proto__":{"toString":1}}', '{"__proto__":null}',
  '{"constructor":{"prototype":1}}', '{"hasOwnProperty":1}', '{"__proto__":[],"length":3}',
];

// ---------------------------------------------------------------------------------------------
// Paths into a record

type Path = (string | number)[];

/** Every path to a value (not the root), depth-first, in key order. */
function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (value === null || typeof value !== 'object') return out;
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p);
    if (p.length < 12) pathsOf(v, p, out);
  }
  return out;
}

function get(root: Json, path: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, Json>)[k];
  }
  return v;
}

/** Sets (creating objects along the way) or, with `undefined`, deletes. */
function set(root: Rec, path: Path, value: Json | undefined): void {
  let o: Json = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    let next: Json | undefined = (o as Record<string | number, Json>)[k];
    if (next === null || typeof next !== 'object') {
      next = {};
      (o as Record<string | number, Json>)[k] = next;
    }
    o = next;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(o) && typeof last === 'number') o.splice(last, 1);
    else delete (o as Record<string | number, Json>)[last];
  } else (o as Record<string | number, Json>)[last] = value;
}

const clone = (r: Rec): Rec => JSON.parse(JSON.stringify(r)) as Rec;

function stringPaths(r: Rec): Path[] {
  return pathsOf(r).filter((p) => typeof get(r, p) === 'string');
}

function objectPaths(r: Rec): Path[] {
  return [[], ...pathsOf(r).filter((p) => { const v = get(r, p); return v !== null && typeof v === 'object' && !Array.isArray(v); })];
}

function randomValueOfOtherType(rng: Rng, v: Json | undefined): Json {
  const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  const candidates: [string, () => Json][] = [
    ['string', () => rng.pick(['x', '', '0', 'true', 'null', '2025-11-14T05:00:00Z', '{}', typeof v === 'object' ? JSON.stringify(v) : String(v ?? '')])],
    ['number', () => rng.pick([0, -1, 1, 3.5, 1e300, -1e-300, 200, 404, 1700000000])],
    ['boolean', () => rng.chance(0.5)],
    ['null', () => null],
    ['object', () => rng.pick<Json>([{}, { value: 'x', localizedValue: 'X' }, { a: { b: [1] } }, { value: 7 }])],
    ['array', () => rng.pick<Json>([[], [null], ['x', 1, true, {}], [v ?? null]])],
  ];
  const other = candidates.filter(([name]) => name !== t);
  return rng.pick(other)[1]();
}

/** A string made odd: replaced, or the original with something odd around or inside it. */
function oddString(rng: Rng, original: string): string {
  const odd = rng.chance(0.015) ? rng.pick(LONG_STRINGS) : rng.chance(0.2) ? rng.pick(SECRET_STRINGS) : rng.pick(ODD_STRINGS);
  switch (rng.int(4)) {
    case 0: return odd;
    case 1: return original + odd;
    case 2: return odd + original;
    default: {
      const at = rng.int(original.length + 1);
      return original.slice(0, at) + odd + original.slice(at);
    }
  }
}

function caseVariant(rng: Rng, s: string): string {
  switch (rng.int(5)) {
    case 0: return s.toUpperCase();
    case 1: return s.toLowerCase();
    case 2: return [...s].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
    case 3: return ` ${s} `;
    default: return `${s}\u200b`;
  }
}

// ---------------------------------------------------------------------------------------------
// Record mutations: each changes the record in place and says what it did; `text` ones rewrite its JSON text.

type ObjectMutation = (rng: Rng, r: Rec) => string;
type TextMutation = (rng: Rng, r: Rec, text: string) => { kind: string; text: string };

const objectMutations: Record<string, ObjectMutation> = {
  'remove-field': (rng, r) => {
    const paths = pathsOf(r);
    if (paths.length === 0) return 'remove-field:none';
    const p = rng.chance(0.25) ? [rng.pick([...TIME_KEYS, 'category', 'operationName', 'properties', 'identity', 'resourceId'])] : rng.pick(paths);
    set(r, p, undefined);
    return `remove-field:${p.join('.')}`;
  },
  retype: (rng, r) => {
    const paths = pathsOf(r);
    if (paths.length === 0) return 'retype:none';
    const p = rng.pick(paths);
    set(r, p, randomValueOfOtherType(rng, get(r, p)));
    return `retype:${p.join('.')}`;
  },
  'odd-string': (rng, r) => {
    const paths = stringPaths(r);
    if (paths.length === 0) return 'odd-string:none';
    const p = rng.pick(paths);
    set(r, p, oddString(rng, get(r, p) as string));
    return `odd-string:${p.join('.')}`;
  },
  'odd-time': (rng, r) => {
    const key = TIME_KEYS.find((k) => r[k] !== undefined) ?? 'time';
    const t = rng.pick(ODD_TIMES);
    // Entra and sign-in forwarders may drop `time`: then the property's time is the one read.
    if (rng.chance(0.2) && r.properties && typeof r.properties === 'object') {
      delete r[key];
      set(r, ['properties', rng.pick(['activityDateTime', 'createdDateTime'])], t);
      return 'odd-time:properties';
    }
    r[key] = t;
    return `odd-time:${key}`;
  },
  'odd-number': (rng, r) => {
    const p = rng.pick(NUMBER_PATHS);
    set(r, p, rng.pick(ODD_NUMBERS));
    return `odd-number:${p.join('.')}`;
  },
  'properties-as-string': (rng, r) => {
    const props = r.properties;
    if (props === undefined) { r.properties = rng.pick(['', 'not json', '{', '[1,2]', '"x"', 'null', "{'a': 'it\"s'}"]); return 'properties-as-string:odd'; }
    const json = JSON.stringify(props);
    const forms = [
      json,
      json.replace(/"/g, "'"),
      ` ${json} `,
      json.slice(0, Math.max(1, rng.int(json.length))), // truncated JSON in a string
      JSON.stringify(json), // JSON of JSON
      `${json}garbage`,
    ];
    r.properties = rng.pick(forms);
    return 'properties-as-string';
  },
  'strings-as-objects': (rng, r) => {
    // A JSON string field (requestbody, identity) delivered as the object it holds, or an object as a string.
    const paths = pathsOf(r).filter((p) => typeof get(r, p) === 'string' && /^\s*[[{]/.test(get(r, p) as string));
    if (paths.length > 0 && rng.chance(0.6)) {
      const p = rng.pick(paths);
      try { set(r, p, JSON.parse(get(r, p) as string) as Json); } catch { set(r, p, { unparsable: get(r, p) as string }); }
      return `string-to-object:${p.join('.')}`;
    }
    const objs = objectPaths(r).filter((p) => p.length > 0);
    if (objs.length === 0) return 'object-to-string:none';
    const p = rng.pick(objs);
    set(r, p, JSON.stringify(get(r, p)));
    return `object-to-string:${p.join('.')}`;
  },
  category: (rng, r) => {
    const key = rng.chance(0.6) ? 'category' : 'operationName';
    const current = r[key];
    const base = typeof current === 'string' ? current : typeof current === 'object' && current !== null && !Array.isArray(current) && typeof current.value === 'string' ? current.value : 'AuditEvent';
    const choice = rng.int(6);
    if (choice === 0) r[key] = caseVariant(rng, base);
    else if (choice === 1) r[key] = rng.pick(CATEGORIES); // another family's category, or an unknown one
    else if (choice === 2) r[key] = { value: rng.chance(0.5) ? base : rng.pick(CATEGORIES), localizedValue: base };
    else if (choice === 3) r[key] = rng.pick<Json>([null, 7, true, [], [base], '', ' ', { value: null }, { localizedValue: base }]);
    else if (choice === 4) r[key] = oddString(rng, base);
    else r[key] = rng.pick(['MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', 'microsoft.authorization/roledefinitions/write',
      'Microsoft.Insights/diagnosticSettings/write', 'SecretGet', 'VaultPut', rng.chance(0.2) ? 'x'.repeat(HUNDRED_KB) : 'x'.repeat(300)]);
    return `${key}:${choice}`;
  },
  'secret-key': (rng, r) => {
    // Keys redaction reads as secrets, with values of every type and shape.
    const p = [...rng.pick(objectPaths(r)), rng.pick(['password', 'clientSecret', 'client_secret', 'AccountKey', 'sig', 'Authorization', 'access_token', 'apiKey', 'code'])];
    set(r, p, rng.pick<Json>(['x', '', 'a"b', 'a\\b', 'end\\', 'sig=1&x', 42, null, true, { value: 's' }, ['s'], rng.pick(SECRET_STRINGS)]));
    return `secret-key:${p.join('.')}`;
  },
  'proto-value': (rng, r) => {
    // Array elements first: lists of names (permissions, methods, scopes) are where values get String()ed.
    const all = pathsOf(r);
    if (all.length === 0) return 'proto-value:none';
    const elements = all.filter((p) => typeof p[p.length - 1] === 'number');
    const p = elements.length > 0 && rng.chance(0.7) ? rng.pick(elements) : rng.pick(all);
    set(r, p, clone({ v: rng.pick(PROTO_VALUES) } as Rec).v!);
    return `proto-value:${p.join('.')}`;
  },
  'grow-object': (rng, r) => {
    // Many keys, long arrays: width rather than depth.
    const p = rng.pick(objectPaths(r));
    const target = p.length === 0 ? r : (get(r, p) as Rec);
    const n = rng.chance(0.04) ? 5000 : rng.pick([20, 100, 500]);
    if (rng.chance(0.5)) for (let i = 0; i < n; i++) target[`k${i}`] = i;
    else target[rng.pick(['targetResources', 'authenticationDetails', 'modifiedProperties', 'ipRules', 'logs', 'permissions'])] = Array.from({ length: n }, (_, i) => ({ displayName: `p${i}`, newValue: `"${i}"` }));
    return `grow-object:${p.join('.')}`;
  },
};

const textMutations: Record<string, TextMutation> = {
  /** `{"a":{"a":...}}` or `[[[...]]]` thousands deep, in place of a value. */
  deep: (rng, r) => {
    const depth = rng.chance(0.15) ? rng.pick([20_000, 100_000]) : rng.pick([64, 200, 997, 998, 999, 1000, 1001, 5000]);
    const arrays = rng.chance(0.5);
    const deepText = arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const objs = objectPaths(r);
    const p = [...rng.pick(objs), 'deep'];
    set(r, p, '\u0000FUZZ-DEEP\u0000');
    return { kind: `deep:${depth}:${arrays ? 'arrays' : 'objects'}:${p.join('.')}`, text: JSON.stringify(r).replace('"\\u0000FUZZ-DEEP\\u0000"', deepText) };
  },
  /** The same key twice in one object: JSON.parse keeps the last. */
  'duplicate-key': (rng, r, text) => {
    const key = rng.pick([...TIME_KEYS, 'category', 'operationName', 'properties', 'resourceId', 'identity', 'records']);
    const value = rng.pick<Json>([rng.pick(ODD_TIMES), 'AuditEvent', { id: 'dup' }, null, 'x', 42]);
    const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    const first = rng.chance(0.5);
    return { kind: `duplicate-key:${key}:${first ? 'first' : 'last'}`, text: first ? `{${member},${text.slice(1)}` : `${text.slice(0, -1)},${member}}` };
  },
  /** Keys named after Object.prototype's members, as JSON text (JSON.parse makes them own properties). */
  'proto-keys': (rng, r) => {
    const objs = objectPaths(r);
    const p = [...rng.pick(objs), rng.pick(['__proto__', 'constructor', 'toString', 'valueOf', 'Permissions', 'claims', 'requester'])];
    const inner = rng.pick([...PROTO_OBJECTS, '{"secrets":[{"toString":1}],"keys":[{"__proto__":null}]}']);
    set(r, p, '\u0000FUZZ-PROTO\u0000');
    return { kind: `proto-keys:${p.join('.')}`, text: JSON.stringify(r).replace('"\\u0000FUZZ-PROTO\\u0000"', inner) };
  },
  /** Number literals JSON.parse reads as Infinity or loses precision on. */
  'number-literal': (rng, r, text) => {
    const literal = rng.pick(['1e999', '-1e999', '123456789012345678901234567890', '-0.0', '1E+2', '0.0000000000000000000001', '9223372036854775808']);
    const numbers = [...text.matchAll(/:(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=[,}\]])/g)];
    if (numbers.length === 0) return { kind: 'number-literal:none', text: text.replace(/^\{/, `{"durationMs":${literal},`) };
    const m = rng.pick(numbers);
    const at = m.index + 1;
    return { kind: `number-literal:${literal}`, text: text.slice(0, at) + literal + text.slice(at + m[1]!.length) };
  },
};

/** One record's variant: one to three mutations, object-level first, maybe one text-level last. */
export function mutateRecord(rng: Rng, source: Rec): Variant {
  const r = clone(source);
  const kinds: string[] = [];
  const names = Object.keys(objectMutations);
  const n = rng.chance(0.6) ? 1 : rng.chance(0.7) ? 2 : 3;
  for (let i = 0; i < n; i++) kinds.push(objectMutations[rng.pick(names)]!(rng, r));
  let text = JSON.stringify(r);
  if (rng.chance(0.2)) {
    const m = textMutations[rng.pick(Object.keys(textMutations))]!(rng, r, text);
    kinds.push(m.kind);
    text = m.text;
  }
  return { kind: kinds.join('+'), text };
}

// ---------------------------------------------------------------------------------------------
// Unit mutations: bodies and texts as a whole

/** Event Hubs bodies gone wrong: `records` not an array, holding non-objects, empty, doubled, nested. */
export function mutateEnvelope(rng: Rng, records: string[]): Variant {
  const list = records.join(',');
  const a = records[0] ?? '{}';
  const forms: [string, string][] = [
    ['records-object', `{"records":${a}}`],
    ['records-string', `{"records":${JSON.stringify(list)}}`],
    ['records-number', '{"records":7}'],
    ['records-null', '{"records":null}'],
    ['records-empty', '{"records":[]}'],
    ['records-scalars', '{"records":[1,"a",null,true,[],{}]}'],
    ['records-string-last', `{"records":[${list},"x"]}`],
    ['records-string-first', `{"records":["x",${list}]}`],
    ['records-string-spaced', `{"records":[${list}, "x" ]}`],
    ['records-number-last', `{"records":[${list},1]}`],
    ['records-null-inside', `{"records":[${a},null,${list}]}`],
    ['records-nested-array', `{"records":[[${list}]]}`],
    ['records-nested-envelope', `{"records":[{"records":[${list}]}]}`],
    ['records-twice', `{"records":[${a}],"records":[${list}]}`],
    ['records-after-other-key', `{"version":1,"records":[${list}]}`],
    ['records-key-cased', `{"Records":[${list}]}`],
    ['records-trailing-comma', `{"records":[${list},]}`],
    ['records-leading-comma', `{"records":[,${list}]}`],
    ['records-unclosed', `{"records":[${list}`],
    ['records-mismatched', `{"records":[${list}}`],
    ['records-extra-close', `{"records":[${list}]}]}`],
    ['records-then-garbage', `{"records":[${list}]} trailing`],
    ['two-bodies', `{"records":[${a}]}{"records":[${list}]}`],
    ['array-of-records', `[${list}]`],
    ['array-string-last', `[${list},"x"]`],
    ['array-empty', '[]'],
    ['array-of-arrays', '[[],[[]]]'],
    ['top-string', JSON.stringify(list.slice(0, 200))],
    ['top-number', '42'],
    ['top-null', 'null'],
    ['empty-object', '{}'],
    ['whitespace', '   '],
  ];
  const [kind, text] = rng.pick(forms);
  return { kind: `envelope:${kind}`, text, ...(kind === 'records-twice' ? { elements: [a, ...records] } : {}) };
}

/** A record's or body's text broken as text: truncated, a character inserted, a quote or bracket lost. */
export function mutateText(rng: Rng, text: string): Variant {
  switch (rng.int(4)) {
    case 0: {
      const at = 1 + rng.int(Math.max(1, text.length - 1));
      return { kind: 'truncated', text: text.slice(0, at) };
    }
    case 1: {
      const at = rng.int(text.length + 1);
      const c = rng.pick(['}', ']', '{', '[', ',', ':', '"', '\\', 'x', '\u0000', '\u001f', '\ud800', "'", '/*', 'NaN']);
      return { kind: `inserted:${JSON.stringify(c)}`, text: text.slice(0, at) + c + text.slice(at) };
    }
    case 2: {
      const structural = [...text.matchAll(/["{}[\]:,]/g)];
      const m = structural.length > 0 ? rng.pick(structural) : null;
      return { kind: 'dropped-char', text: m ? text.slice(0, m.index) + text.slice(m.index + 1) : text.slice(1) };
    }
    default: {
      const at = rng.int(text.length + 1);
      return { kind: 'doubled', text: text.slice(0, at) + text.slice(Math.max(0, at - 20), at) + text.slice(at) };
    }
  }
}

/** Bytes that are not UTF-8, inside a string, between tokens, at the end, or instead of UTF-8 (Latin-1). */
export function mutateBytes(rng: Rng, text: string): Variant {
  const bad = rng.pick([[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf5, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe9]]);
  const buf = Buffer.from(text, 'utf8');
  const strings = [...text.matchAll(/"[^"\\]{3,}"/g)];
  let at: number;
  const where = rng.int(3);
  if (where === 0 && strings.length > 0) {
    const m = rng.pick(strings);
    at = Buffer.byteLength(text.slice(0, m.index + 2));
  } else if (where === 1) at = buf.length;
  else at = rng.int(buf.length + 1);
  return { kind: `non-utf8:${bad.map((b) => b.toString(16)).join('')}`, text, bytes: Buffer.concat([buf.subarray(0, at), Buffer.from(bad), buf.subarray(at)]) };
}

/**
 * How many records a `.json` file holds, read by JSON.parse: as expectedRecords, but each
 * element of its array or body is a unit of its own, so an element that is itself a body or
 * an array is read as its records (`[{"records":[a,b]}]` is two records). Null when not JSON.
 */
export function expectedInJsonFile(text: string, known?: string[]): number | null {
  if (known) return known.reduce((n, e) => n + (expectedRecords(e) ?? 1), 0);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const elements = Array.isArray(v) ? v : v !== null && typeof v === 'object' && Array.isArray((v as { records?: unknown }).records) ? (v as { records: unknown[] }).records : null;
  if (elements === null) return 1;
  return elements.reduce<number>((n, e) => n + recordsIn(e), 0);
}

/**
 * How many records a unit holds, read by JSON.parse (independently of the splitter): the
 * elements of a top-level array or of an object's `records` array, else one. Null when the
 * text is not JSON (the unit is then one reject, or more when its values can be told apart).
 */
export function expectedRecords(text: string, known?: string[]): number | null {
  if (known) return known.length;
  try {
    return recordsIn(JSON.parse(text));
  } catch {
    return null;
  }
}

function recordsIn(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object' && Array.isArray((v as { records?: unknown }).records)) return (v as { records: unknown[] }).records.length;
  return 1;
}

/** Records just over and under the size limit (1 MiB), in bytes and in characters: a few, as they are large. */
export function oversizeVariants(source: Rec): Variant[] {
  return [['ascii-over', 'x'.repeat(1_100_000)], ['2-byte-over', 'é'.repeat(600_000)], ['4-byte-over', '😀'.repeat(300_000)], ['2-byte-under', 'é'.repeat(500_000)]]
    .map(([kind, note]) => ({ kind: `oversize:${kind}`, text: JSON.stringify({ ...source, note }) }));
}
