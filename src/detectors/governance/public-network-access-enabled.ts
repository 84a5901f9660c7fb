import { T1562_007 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, storageAccountResourceId, toEvents, vaultId, verbShaped, WORKSPACE_MI } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { ACTIVITY_SETTING, isCompleted, text } from './common.js';

/** Key Vault, Storage and Azure ML resources whose network exposure matters here. */
const RESOURCE_WRITES: ReadonlySet<string> = new Set([
  'MICROSOFT.KEYVAULT/VAULTS/WRITE',
  'MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE',
  'MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/WRITE',
  'MICROSOFT.MACHINELEARNINGSERVICES/REGISTRIES/WRITE',
]);
const PRIVATE_ENDPOINT_DELETES = /^MICROSOFT\.(KEYVAULT\/VAULTS|STORAGE\/STORAGEACCOUNTS|MACHINELEARNINGSERVICES\/WORKSPACES)\/PRIVATEENDPOINTCONNECTIONS\/DELETE$|^MICROSOFT\.NETWORK\/PRIVATEENDPOINTS\/DELETE$/;

function opensNetwork(e: EventRow): boolean {
  return text(e, 'public_network_access')?.toLowerCase() === 'enabled' || text(e, 'network_default_action')?.toLowerCase() === 'allow';
}

function isExposure(e: EventRow): boolean {
  if (!isCompleted(e)) return false;
  const op = activityOperation(e);
  return (RESOURCE_WRITES.has(op) && opensNetwork(e)) || PRIVATE_ENDPOINT_DELETES.test(op);
}

/** A private endpoint connection is a child: name the vault, account or workspace. */
const PARENT = /^(.*?)\/privateendpointconnections\/.*$/;
const parentOf = (e: EventRow) => (e.resource_id === null ? null : e.resource_id.replace(PARENT, '$1'));

const OPEN = { properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices', ipRules: [], virtualNetworkRules: [] } } };
const CLOSED = { properties: { publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } } };

export default defineDetector({
  id: 'governance.public-network-access-enabled',
  title: 'Public network access enabled or private endpoint removed',
  severity: 'medium',
  attack: [T1562_007],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A Key Vault, storage account or Azure ML workspace/registry write completed with publicNetworkAccess Enabled or a network default action of Allow, or a private endpoint (connection) of one was deleted. ML data, secrets and models behind private endpoints become reachable from the internet: the step before exfiltrating them from outside.',
  remediation: 'Revert to publicNetworkAccess Disabled / defaultAction Deny (or restore the private endpoint) unless the change was approved, and check the resource\'s data-plane logs for access from public addresses since (storage.new-ip-for-principal, keyvault.new-ip-for-principal).',
  falsePositives: ['Temporary opening for troubleshooting or a data migration.', 'Infrastructure-as-code templates that state publicNetworkAccess explicitly on resources that are meant to be public.', 'Success records whose response body restates an already-open resource (the schema does not say whether a fact came from the request or the response).'],
  match: {
    where: isExposure,
    key: (e) => `${e.principal_id ?? e.app_id ?? e.caller_ip ?? 'unknown'}|${parentOf(e) ?? ''}`,
    facts: (e) => ({ public_network_access: text(e, 'public_network_access'), network_default_action: text(e, 'network_default_action'), private_endpoint_removed: PRIVATE_ENDPOINT_DELETES.test(activityOperation(e)) }),
  },
  entity: (e) => ({ resource_id: parentOf(e) }),
  cases: [
    {
      name: 'opening the training storage account (storage-shape Write record) fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([verbShaped(activityRecord({ operation: 'microsoft.storage/storageaccounts/write', ...INTRUDER, resourceId: storageAccountResourceId('stfabrikamml01'), requestbody: OPEN, time: at(8, 600) }), 'Write')]),
    },
    {
      name: 'removing the vault\'s private endpoint connection fires, naming the vault',
      fires: true,
      expect: { principal_id: INTRUDER.oid, resource_id: vaultId('kv-fabrikam-ml').toLowerCase() },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/PRIVATEENDPOINTCONNECTIONS/DELETE', ...INTRUDER, resourceId: `${vaultId('kv-fabrikam-ml')}/privateEndpointConnections/pe-kv-fabrikam-ml.1a2b`, time: at(8, 600) })]),
    },
    {
      name: 'the AML workspace opened through Start then Success (response body) fires once',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        activityRecord({ operation: 'MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/WRITE', ...INTRUDER, resourceId: WORKSPACE_MI.resourceId, resultType: 'Start', requestbody: { properties: { publicNetworkAccess: 'Enabled' } }, time: at(8, 600) }),
        activityRecord({ operation: 'MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/WRITE', ...INTRUDER, resourceId: WORKSPACE_MI.resourceId, responseBody: { properties: { publicNetworkAccess: 'Enabled', friendlyName: 'mlw-fabrikam' } }, time: at(8, 601) }),
      ]),
    },
    {
      name: 'locking a vault down, and the Start record of an opening that failed, stay quiet',
      fires: false,
      events: () => toEvents([
        activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/WRITE', ...ADMIN, resourceId: vaultId('kv-fabrikam-ml'), requestbody: CLOSED, time: at(8, 600) }),
        activityRecord({ operation: 'MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE', ...INTRUDER, resourceId: storageAccountResourceId('stfabrikamml01'), resultType: 'Start', requestbody: OPEN, time: at(8, 610) }),
        activityRecord({ operation: 'MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE', ...INTRUDER, resourceId: storageAccountResourceId('stfabrikamml01'), resultType: 'Failure', time: at(8, 610) }),
      ]),
    },
  ],
});
