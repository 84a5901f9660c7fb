/**
 * `AzureDiagnostics`, the legacy catch-all table: one wide row per record, the envelope as
 * columns and everything nested flattened into `<path>_<type>` columns (`requestUri_s`,
 * `httpStatusCode_d`, `isAccessPolicyMatch_b`, `id_s`, `identity_claim_oid_g`), with what did
 * not fit in 500 columns in `AdditionalFields`. The record is rebuilt from that: envelope
 * columns back to their fields, `identity_claim_*` back to `identity.claim` (the long claim
 * URIs restored), every other typed column to `properties.<path>`.
 *
 * Flattening joins nested keys with `_` and writes arrays as JSON text in `_s` columns:
 * Key Vault's `properties.addedAccessPolicy.Permissions.secrets: ["Get","List"]` is the column
 * `addedAccessPolicy_Permissions_secrets_s` = `'["Get","List"]'`, `networkAcls.ipRules` is
 * `networkAcls_ipRules_s`. For the categories in NESTED_CATEGORIES that is undone: the path is
 * split back into nested objects and JSON text parsed, so the family parser finds the access
 * policy and firewall facts where the streamed record has them (else a backfilled VaultPut
 * lacked them, and its streamed twin, arriving later with the same event_id, was dropped as a
 * duplicate). Other categories keep `properties.<path>` flat: their property names may hold
 * `_` themselves, and the ones no family reads keep the hash of their record text as event_id,
 * which a changed shape would change.
 */
import { compact, isoOf, number, objectCell, setOwn, text, timeOf, type Row } from './columns.js';
import { parseJson } from './numbers.js';

type Rec = Record<string, unknown>;

/** Log Analytics' own columns and the resource parts it derives: not part of the record. */
const NOT_THE_RECORD = new Set([
  'TenantId', 'SourceSystem', 'Type', 'MG', 'ManagementGroupName', 'Computer', 'RawData', 'SubscriptionId', 'ResourceGroup',
  'ResourceProvider', 'ResourceType', 'Resource', '_ResourceId', '_SubscriptionId', '_BilledSize', '_IsBillable', '_ItemId',
  '_Internal_WorkspaceResourceId', 'AdditionalFields', 'TimeGenerated', 'Category', 'OperationName', 'OperationVersion',
  'ResourceId', 'ResultType', 'ResultSignature', 'ResultDescription', 'DurationMs', 'CallerIPAddress', 'CorrelationId', 'Level',
  'Location', 'identity_s',
]);

/** Flattened claim names whose original is a URI (the principal readers need those keys). */
const CLAIM_URIS: Record<string, string> = Object.fromEntries([
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
  'http://schemas.microsoft.com/identity/claims/tenantid',
  'http://schemas.microsoft.com/identity/claims/scope',
  'http://schemas.microsoft.com/identity/claims/appid',
  'http://schemas.microsoft.com/claims/authnmethodsreferences',
  'http://schemas.microsoft.com/claims/authnclassreference',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
].map((uri) => [uri.replace(/[^A-Za-z0-9]+/g, '_'), uri]));

const TYPED = /^(.+)_([sgdbt])$/;

/**
 * Categories whose flattened paths are rebuilt into nested properties: Key Vault's `AuditEvent`
 * (the only family read through this table), whose property names are camelCase without `_`.
 */
const NESTED_CATEGORIES = new Set(['auditevent']);

const isObject = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `'["Get","List"]'` → the array, `'{"a":1}'` → the object; any other cell (or text that does not parse) as it is. */
function jsonText(cell: unknown): unknown {
  if (typeof cell !== 'string') return cell;
  const t = cell.trim();
  if (!(t.startsWith('[') && t.endsWith(']')) && !(t.startsWith('{') && t.endsWith('}'))) return cell;
  try {
    return parseJson(t);
  } catch {
    return cell;
  }
}

/**
 * `properties[a][b][c] = value` for the path `a_b_c`, merging with what is there (`AdditionalFields`,
 * sibling columns). Where a segment already holds a value that is not an object, the path is
 * kept flat instead (`properties['a_b_c']`), so no cell is lost.
 */
function setNested(target: Rec, path: string, value: unknown): void {
  const keys = path.split('_');
  if (keys.some((k) => k === '' || k === '__proto__')) {
    setOwn(target, path, value);
    return;
  }
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(at, key) ? at[key] : undefined;
    if (next === undefined) at = at[key] = {};
    else if (isObject(next)) at = next;
    else {
      target[path] = value;
      return;
    }
  }
  const last = keys[keys.length - 1]!;
  const there = Object.hasOwn(at, last) ? at[last] : undefined;
  if (!isObject(there)) at[last] = value; // a column wins over AdditionalFields, as it did flat
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) setOwn(there, k, v);
  else target[path] = value;
}

export function diagnosticsRecord(row: Row): Rec {
  const claim: Rec = {};
  const properties: Rec = {};
  // Not Object.assign: an own `__proto__` key (JSON.parse makes one) would set the prototype.
  for (const [k, v] of Object.entries(objectCell(row, 'AdditionalFields') ?? {})) setOwn(properties, k, v);
  const nested = NESTED_CATEGORIES.has((text(row, 'Category') ?? '').toLowerCase());
  for (const [column, value] of Object.entries(row)) {
    if (NOT_THE_RECORD.has(column) || value === null || value === undefined || value === '') continue;
    const typed = TYPED.exec(column);
    const path = typed ? typed[1]! : column;
    const cell = value instanceof Date ? isoOf(column, value) : value;
    if (path.startsWith('identity_claim_')) {
      const name = path.slice('identity_claim_'.length);
      setOwn(claim, Object.hasOwn(CLAIM_URIS, name) ? CLAIM_URIS[name]! : name, cell);
    } else {
      const key = path.startsWith('properties_') ? path.slice('properties_'.length) : path;
      if (nested) setNested(properties, key, jsonText(cell));
      else setOwn(properties, key, cell);
    }
  }
  const identityText = text(row, 'identity_s');
  return compact({
    time: timeOf(row),
    resourceId: text(row, 'ResourceId') ?? text(row, '_ResourceId'),
    operationName: text(row, 'OperationName'),
    operationVersion: text(row, 'OperationVersion'),
    category: text(row, 'Category'),
    resultType: text(row, 'ResultType'),
    resultSignature: text(row, 'ResultSignature'),
    resultDescription: text(row, 'ResultDescription'),
    durationMs: number(row, 'DurationMs'),
    callerIpAddress: text(row, 'CallerIPAddress'),
    correlationId: text(row, 'CorrelationId'),
    level: text(row, 'Level'),
    identity: Object.keys(claim).length > 0 ? { claim } : identityText,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  });
}
