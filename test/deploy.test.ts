/**
 * deploy/: the ARM templates parse, have the resource types, API versions and properties Azure
 * requires (checked here by hand: there is no network to fetch the ARM schemas), and name the
 * same columns as the Sentinel sink sends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as attack from '../src/detectors/attack.js';
import { DEFAULT_STREAM } from '../src/sinks/sentinel-config.js';
import { SENTINEL_COLUMNS } from '../src/sinks/sentinel.js';

type Json = Record<string, any>; // template JSON, checked field by field below

const deploy = join(import.meta.dirname, '..', 'deploy');
const load = (file: string): Json => JSON.parse(readFileSync(join(deploy, file), 'utf8')) as Json;
const template = load('sentinel.json');
const rule = load('analytic-rule.json');

const TABLE = 'AuditLakeAlerts_CL';
const byType = (t: Json, type: string): Json[] => (t.resources as Json[]).filter((r) => r.type === type);
const one = (t: Json, type: string): Json => {
  const found = byType(t, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const table = one(template, 'Microsoft.OperationalInsights/workspaces/tables');
const dce = one(template, 'Microsoft.Insights/dataCollectionEndpoints');
const dcr = one(template, 'Microsoft.Insights/dataCollectionRules');
const role = one(template, 'Microsoft.Authorization/roleAssignments');
const nrt = one(rule, 'Microsoft.OperationalInsights/workspaces/providers/alertRules');

/** Every string in a JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** What an ARM template needs to be accepted at all: schema, and expressions that only name what it declares. */
function checkArmTemplate(t: Json): void {
  expect(t.$schema).toBe('https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
  expect(t.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(Array.isArray(t.resources)).toBe(true);
  const params = new Set(Object.keys(t.parameters ?? {}));
  const vars = new Set(Object.keys(t.variables ?? {}));
  for (const [name, p] of Object.entries<Json>(t.parameters ?? {})) {
    expect(['string', 'int', 'bool', 'object', 'array', 'securestring', 'secureObject'], name).toContain(p.type);
    if (p.allowedValues && p.defaultValue !== undefined) expect(p.allowedValues, name).toContain(p.defaultValue);
  }
  for (const s of strings(t)) {
    if (!s.startsWith('[') || s.startsWith('[[')) continue;
    expect(s.endsWith(']'), s).toBe(true);
    let depth = 0;
    let quoted = false;
    for (const ch of s.slice(1, -1)) {
      if (ch === "'") quoted = !quoted;
      else if (!quoted && ch === '(') depth++;
      else if (!quoted && ch === ')') depth--;
      expect(depth, s).toBeGreaterThanOrEqual(0);
    }
    expect([depth, quoted], s).toEqual([0, false]);
    for (const m of s.matchAll(/parameters\('([^']+)'\)/g)) expect(params.has(m[1]!), `${s}: parameter ${m[1]}`).toBe(true);
    for (const m of s.matchAll(/variables\('([^']+)'\)/g)) expect(vars.has(m[1]!), `${s}: variable ${m[1]}`).toBe(true);
  }
  for (const r of t.resources as Json[]) {
    expect(r.type, JSON.stringify(r).slice(0, 80)).toMatch(/^Microsoft\.[A-Za-z]+\/[A-Za-z/]+$/);
    expect(r.apiVersion, r.type).toMatch(/^\d{4}-\d{2}-\d{2}(-preview)?$/);
    expect(typeof r.name, r.type).toBe('string');
  }
}

// Types each API accepts (Tables API vs DCR stream declarations spell datetime differently).
const TABLE_TYPE: Record<string, string> = { string: 'string', int: 'int', datetime: 'dateTime', dynamic: 'dynamic' };
const STREAM_TYPES = ['string', 'int', 'long', 'real', 'boolean', 'dynamic', 'datetime'];
const TABLE_TYPES = ['string', 'int', 'long', 'real', 'boolean', 'dateTime', 'guid', 'dynamic'];
const SENTINEL_TACTICS = ['Collection', 'CommandAndControl', 'CredentialAccess', 'DefenseEvasion', 'Discovery', 'Execution', 'Exfiltration', 'Impact',
  'ImpairProcessControl', 'InhibitResponseFunction', 'InitialAccess', 'LateralMovement', 'Persistence', 'PreAttack', 'PrivilegeEscalation', 'Reconnaissance', 'ResourceDevelopment'];
const ENTITY_IDENTIFIERS: Record<string, string[]> = {
  Account: ['Name', 'FullName', 'NTDomain', 'DnsDomain', 'UPNSuffix', 'Sid', 'AadTenantId', 'AadUserId', 'PUID', 'IsDomainJoined', 'DisplayName', 'ObjectGuid'],
  IP: ['Address'],
  AzureResource: ['ResourceId'],
};
const ALERT_PROPERTIES = ['AlertLink', 'ConfidenceLevel', 'ConfidenceScore', 'ExtendedLinks', 'ProductComponentName', 'ProductName', 'ProviderName', 'RemediationSteps', 'Techniques'];

describe('deploy/sentinel.json (table, DCE, DCR, role)', () => {
  it('is an ARM template whose expressions name only declared parameters and variables', () => {
    checkArmTemplate(template);
    expect(Object.keys(template.parameters)).toEqual(expect.arrayContaining(['workspaceName', 'location', 'publisherPrincipalId']));
    expect(template.resources).toHaveLength(4);
  });

  it('creates the custom table in the existing workspace', () => {
    expect(table.apiVersion).toBe('2022-10-01');
    expect(table.name).toBe("[format('{0}/{1}', parameters('workspaceName'), variables('tableName'))]");
    expect(template.variables.tableName).toBe(TABLE);
    expect(table.properties.plan).toBe('Analytics'); // analytic rules cannot read Basic/Auxiliary tables
    expect(table.properties.schema.name).toBe("[variables('tableName')]");
    const columns = table.properties.schema.columns as Json[];
    for (const c of columns) {
      expect(c.name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,44}$/);
      expect(['TenantId', 'Type', 'SourceSystem', '_ResourceId']).not.toContain(c.name); // reserved by Log Analytics
      expect(TABLE_TYPES).toContain(c.type);
      expect(typeof c.description).toBe('string');
    }
    expect(columns.find((c) => c.name === 'TimeGenerated')?.type).toBe('dateTime');
  });

  it('creates a data collection endpoint and a DCR whose stream flows unchanged into the table', () => {
    expect(dce.apiVersion).toBe('2023-03-11');
    expect(dce.location).toBe("[parameters('location')]");
    expect(dce.properties.networkAcls.publicNetworkAccess).toBe('Enabled');

    expect(dcr.apiVersion).toBe('2023-03-11');
    expect(dcr.location).toBe("[parameters('location')]");
    expect(dcr.dependsOn).toEqual(expect.arrayContaining([
      "[resourceId('Microsoft.OperationalInsights/workspaces/tables', parameters('workspaceName'), variables('tableName'))]",
      "[resourceId('Microsoft.Insights/dataCollectionEndpoints', variables('dceName'))]",
    ]));
    const p = dcr.properties;
    expect(p.dataCollectionEndpointId).toBe("[resourceId('Microsoft.Insights/dataCollectionEndpoints', variables('dceName'))]");
    expect(Object.keys(p.streamDeclarations)).toEqual([DEFAULT_STREAM]);
    for (const c of p.streamDeclarations[DEFAULT_STREAM].columns as Json[]) expect(STREAM_TYPES).toContain(c.type);
    expect(p.destinations.logAnalytics).toEqual([{ name: 'workspace', workspaceResourceId: "[variables('workspaceId')]" }]);
    expect(template.variables.workspaceId).toBe("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspaceName'))]");
    expect(p.dataFlows).toEqual([{ streams: [DEFAULT_STREAM], destinations: ['workspace'], transformKql: 'source', outputStream: `Custom-${TABLE}` }]);
  });

  it('optionally gives the publisher Monitoring Metrics Publisher on the DCR', () => {
    expect(role.apiVersion).toBe('2022-04-01');
    expect(role.condition).toBe("[not(empty(parameters('publisherPrincipalId')))]");
    expect(role.scope).toBe("[format('Microsoft.Insights/dataCollectionRules/{0}', variables('dcrName'))]");
    expect(role.name).toMatch(/^\[guid\(/);
    expect(template.variables.monitoringMetricsPublisher).toBe('3913510d-42f4-4e42-8a64-420c390055eb');
    expect(role.properties.roleDefinitionId).toBe("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('monitoringMetricsPublisher'))]");
    expect(role.properties.principalId).toBe("[parameters('publisherPrincipalId')]");
    expect(role.dependsOn).toEqual(["[resourceId('Microsoft.Insights/dataCollectionRules', variables('dcrName'))]"]);
  });

  it('outputs exactly what sinks.sentinel needs', () => {
    const o = template.outputs;
    expect(o.logsIngestionEndpoint.value).toBe("[reference(resourceId('Microsoft.Insights/dataCollectionEndpoints', variables('dceName')), '2023-03-11').logsIngestion.endpoint]");
    expect(o.dcrImmutableId.value).toBe("[reference(resourceId('Microsoft.Insights/dataCollectionRules', variables('dcrName')), '2023-03-11').immutableId]");
    expect(o.streamName.value).toBe("[variables('streamName')]");
    expect(template.variables.streamName).toBe(DEFAULT_STREAM);
    expect(o.auditlakeSinkConfig.value).toEqual({ endpoint: o.logsIngestionEndpoint.value, ruleId: o.dcrImmutableId.value, streamName: o.streamName.value });
  });
});

describe('deploy/analytic-rule.json (NRT rule)', () => {
  const p = nrt.properties as Json;
  const query = p.query as string;
  const derived = [...query.matchAll(/(?:extend|,)\s*([A-Za-z_]\w*)\s*=/g)].map((m) => m[1]!);

  it('is an ARM template for a Sentinel NRT rule on AuditLakeAlerts_CL', () => {
    checkArmTemplate(rule);
    expect(rule.resources).toHaveLength(1);
    expect(nrt.kind).toBe('NRT');
    expect(nrt.apiVersion).toMatch(/-preview$/); // NRT rules are in the preview API versions only
    expect(nrt.name).toMatch(/^\[concat\(parameters\('workspace'\), '\/Microsoft\.SecurityInsights\/', variables\('ruleId'\)\)\]$/);
    expect(rule.variables.ruleId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // fixed: redeploying updates the rule
    for (const k of ['displayName', 'enabled', 'query', 'severity', 'suppressionDuration', 'suppressionEnabled']) expect(p, k).toHaveProperty(k);
    expect(['Informational', 'Low', 'Medium', 'High']).toContain(p.severity);
    expect(p.suppressionEnabled).toBe(false);
    expect(p.suppressionDuration).toMatch(/^PT\d+[HM]$/);
    expect(p).not.toHaveProperty('queryFrequency'); // NRT: every minute, on ingestion time
    expect(query).toMatch(/^AuditLakeAlerts_CL$/m);
  });

  it('takes name, description, severity, tactics, techniques and remediation from the row', () => {
    const o = p.alertDetailsOverride as Json;
    expect(o.alertDisplayNameFormat).toBe('{{AlertName}}');
    expect(o.alertDescriptionFormat).toBe('{{Description}}');
    expect([...(o.alertDescriptionFormat as string).matchAll(/\{\{/g)].length).toBeLessThanOrEqual(3); // Sentinel's limit
    expect(o.alertSeverityColumnName).toBe('Severity');
    expect(o.alertTacticsColumnName).toBe('SentinelTactics');
    expect(derived).toEqual(['SentinelTactics', 'SentinelTechniques']);
    for (const d of o.alertDynamicProperties as Json[]) expect(ALERT_PROPERTIES).toContain(d.alertProperty);
    expect(o.alertDynamicProperties).toEqual(expect.arrayContaining([
      { alertProperty: 'Techniques', value: 'SentinelTechniques' },
      { alertProperty: 'RemediationSteps', value: 'Remediation' },
    ]));
  });

  it('lists the tactics and parent techniques auditlake detects (its coverage in the MITRE view)', () => {
    const values = Object.values(attack) as unknown[];
    const techniques = values.filter((v): v is attack.Technique => typeof v === 'object' && v !== null && 'tactics' in v);
    const tactics = attack.tacticsOf(techniques).map((t) => t.name.replace(/\s+/g, ''));
    expect([...(p.tactics as string[])].sort()).toEqual([...tactics].sort());
    for (const t of p.tactics as string[]) expect(SENTINEL_TACTICS).toContain(t);
    expect(p.techniques).toEqual([...new Set(techniques.map((t) => t.id.slice(0, 5)))].sort());
  });

  it('maps the Account, IP and Azure resource entities', () => {
    const mappings = p.entityMappings as Json[];
    expect(mappings.map((m) => m.entityType)).toEqual(['Account', 'IP', 'AzureResource']);
    for (const m of mappings) {
      expect((m.fieldMappings as Json[]).length).toBeLessThanOrEqual(3); // Sentinel's limit per entity
      for (const f of m.fieldMappings as Json[]) expect(ENTITY_IDENTIFIERS[m.entityType]).toContain(f.identifier);
    }
    expect(mappings[0]!.fieldMappings).toEqual(expect.arrayContaining([{ identifier: 'AadUserId', columnName: 'AccountObjectId' }, { identifier: 'FullName', columnName: 'AccountUPN' }]));
    expect(mappings[1]!.fieldMappings).toEqual([{ identifier: 'Address', columnName: 'IPAddress' }]);
    expect(mappings[2]!.fieldMappings).toEqual([{ identifier: 'ResourceId', columnName: 'AzureResourceId' }]);
  });

  it('makes one alert per row and one incident per AlertId', () => {
    expect(p.eventGroupingSettings).toEqual({ aggregationKind: 'AlertPerResult' });
    expect(p.customDetails.AlertId).toBe('AlertId');
    expect(Object.keys(p.customDetails).length).toBeLessThanOrEqual(20);
    const g = p.incidentConfiguration.groupingConfiguration as Json;
    expect(p.incidentConfiguration.createIncident).toBe(true);
    expect(g).toMatchObject({ enabled: true, matchingMethod: 'Selected', groupByCustomDetails: ['AlertId'], groupByEntities: [], groupByAlertDetails: [], reopenClosedIncident: true });
    expect(g.lookbackDuration).toMatch(/^(PT\d+[MH]|P[1-7]D)$/); // 5 minutes to 7 days
  });
});

describe('one set of columns', () => {
  it('SENTINEL_COLUMNS = the table = the DCR stream = what the rule projects, and every column the rule maps exists', () => {
    const sink = SENTINEL_COLUMNS.map((c) => `${c.name}:${c.type}`);
    const tableCols = (table.properties.schema.columns as Json[]).map((c) => `${c.name}:${Object.keys(TABLE_TYPE).find((k) => TABLE_TYPE[k] === c.type) ?? c.type}`);
    const streamCols = (dcr.properties.streamDeclarations[DEFAULT_STREAM].columns as Json[]).map((c) => `${c.name}:${c.type}`);
    const rule = nrt.properties as Json;
    const query = (rule.query as string).replace(/\/\/.*$/gm, ''); // without comments
    const projected = /\|\s*project\s+([^|]+)/.exec(query)![1]!.split(',').map((s) => s.trim());
    expect(tableCols).toEqual(sink);
    expect(streamCols).toEqual(sink);
    expect(projected).toEqual(SENTINEL_COLUMNS.map((c) => c.name));

    const derived = [...query.matchAll(/(?:extend|,)\s*([A-Za-z_]\w*)\s*=/g)].map((m) => m[1]!);
    const available = new Set<string>([...projected, ...derived]);
    const referenced = [
      ...(rule.entityMappings as Json[]).flatMap((m) => (m.fieldMappings as Json[]).map((f) => f.columnName as string)),
      ...Object.values<string>(rule.customDetails),
      rule.alertDetailsOverride.alertSeverityColumnName,
      rule.alertDetailsOverride.alertTacticsColumnName,
      ...(rule.alertDetailsOverride.alertDynamicProperties as Json[]).map((d) => d.value as string),
      ...[...`${rule.alertDetailsOverride.alertDisplayNameFormat} ${rule.alertDetailsOverride.alertDescriptionFormat}`.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!),
    ];
    for (const c of referenced) expect(available.has(c), c).toBe(true);
    for (const d of derived) expect(projected, d).not.toContain(d);
  });
});
