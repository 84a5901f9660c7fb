import { T1078_004, T1528 } from '../attack.js';
import { ADA, at, kvRecord, PIPELINE, signinRecord, storageRecord, toEvents, WORKSPACE_MI } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { isBackgroundScanner } from '../keys.js';
import { isVaultManagement } from '../keyvault/ops.js';
import { addressClass } from '../storage/new-ip-for-principal.js';

/**
 * Workload identities: managed identities and other service principals. Key Vault and Activity
 * tokens carry `xms_mirid` and the sign-in category says so, but a storage log shows a managed
 * identity as a plain service principal (`delegatedResource` only for some system-assigned
 * identities), so the detector cannot restrict itself to managed identities without losing
 * storage, where they matter most. Users roam; workloads don't.
 */
function isWorkloadIdentity(e: EventRow): boolean {
  return e.principal_type === 'managedIdentity' || e.principal_type === 'servicePrincipal' || typeof e.details.delegated_resource_id === 'string';
}

const MI_SIGNINS = 'ManagedIdentitySignInLogs';
const SP_SIGNINS = 'ServicePrincipalSignInLogs';
const mi = { oid: WORKSPACE_MI.oid, appid: WORKSPACE_MI.appid };
/** AML compute on 10.20.x.x reads secrets and training data, and gets tokens, every day. */
const usual = (days: number) => Array.from({ length: days }, (_, d) => [
  kvRecord({ operation: 'SecretGet', ...mi, mirid: WORKSPACE_MI.resourceId, name: 'datastore-key', ip: `10.20.${d}.4`, time: at(d, 180) }),
  storageRecord({ operation: 'GetBlob', ...mi, delegatedResourceId: WORKSPACE_MI.resourceId, ip: `10.20.${d}.5`, time: at(d, 181) }),
  signinRecord({ category: MI_SIGNINS, sp: { oid: mi.oid, appid: mi.appid, name: 'mlw-fabrikam' }, ip: `10.20.${d}.6`, time: at(d, 179) }),
]).flat();

export default defineDetector({
  id: 'identity.managed-identity-new-address',
  title: 'Managed identity (or other workload identity) used from an address outside its usual set',
  severity: 'medium',
  attack: [T1078_004, T1528],
  needs: {
    categories: ['AuditEvent', 'StorageRead', 'StorageWrite', 'StorageDelete', MI_SIGNINS, SP_SIGNINS],
    setting: 'Key Vault `AuditEvent`, storage `StorageRead`/`StorageWrite`/`StorageDelete` and Entra ID `ManagedIdentitySignInLogs` / `ServicePrincipalSignInLogs` diagnostic settings sent to the Event Hub auditlake reads.',
  },
  description: 'A managed identity (or another service principal: storage logs cannot tell them apart) obtained a token, read Key Vault or used storage from an address it had not used, with any of those services, in the previous 30 days (after 7 days of learning). One address history per identity across services, so a token fetched and used from the same new address is one alert. Managed identity tokens come from the instance metadata endpoint of the resource they belong to and are used from its network; a new public address usually means a token lifted off the host (IMDS abuse, SSRF) and replayed elsewhere. Private addresses count per /16, so compute scaling out inside its VNet stays quiet.',
  remediation: 'Treat the identity\'s tokens as stolen: find the workload it belongs to (evidence: scope), restart it, look for SSRF/IMDS access on the host, and review what the identity read from the new address. Restrict the identity\'s roles to what the workload needs.',
  falsePositives: ['Service principals used by people or CI from changing addresses (hosted build agents).', 'Workloads moved to a new VNet or behind a new NAT gateway.', 'Azure services calling with the identity from their own public ranges (e.g. Functions on a consumption plan).'],
  exclude: isBackgroundScanner,
  firstSeen: {
    // ARM calls the vault on the caller's behalf for management operations: only data-plane addresses are the identity's own.
    where: (e) => e.result === 'success' && e.caller_ip !== null && isWorkloadIdentity(e) && !(e.category === 'AuditEvent' && isVaultManagement(e.operation)),
    scope: (e) => e.principal_id ?? e.app_id,
    value: (e) => addressClass(e.caller_ip!),
    learningDays: 7,
    forgetDays: 30,
  },
  entity: (e) => ({ caller_ip: e.caller_ip }),
  cases: [
    {
      name: 'the workspace identity reading a secret from a public address fires',
      fires: true,
      expect: { principal_id: WORKSPACE_MI.oid, caller_ip: '198.51.100.77', alerts: 1 },
      history: () => toEvents(usual(8)),
      events: () => toEvents([
        kvRecord({ operation: 'SecretGet', ...mi, mirid: WORKSPACE_MI.resourceId, name: 'datastore-key', ip: '198.51.100.77', time: at(8, 600) }),
        kvRecord({ operation: 'SecretGet', ...mi, mirid: WORKSPACE_MI.resourceId, name: 'db-password', ip: '198.51.100.77', time: at(8, 601) }),
      ]),
    },
    {
      name: 'its storage reads from a public address fire',
      fires: true,
      expect: { principal_id: WORKSPACE_MI.oid, caller_ip: '198.51.100.78' },
      history: () => toEvents(usual(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...mi, delegatedResourceId: WORKSPACE_MI.resourceId, ip: '198.51.100.78', time: at(8, 600) })]),
    },
    {
      name: 'new nodes in the same VNet (new private addresses in the /16) stay quiet',
      fires: false,
      history: () => toEvents(usual(8)),
      events: () => toEvents([
        kvRecord({ operation: 'SecretGet', ...mi, mirid: WORKSPACE_MI.resourceId, name: 'datastore-key', ip: '10.20.77.4', time: at(8, 600) }),
        signinRecord({ category: MI_SIGNINS, sp: { oid: mi.oid, appid: mi.appid, name: 'mlw-fabrikam' }, ip: '10.20.78.6', time: at(8, 599) }),
      ]),
    },
    {
      name: 'a new address during learning stays quiet',
      fires: false,
      history: () => toEvents(usual(3)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...mi, mirid: WORKSPACE_MI.resourceId, name: 'datastore-key', ip: '198.51.100.77', time: at(3, 600) })]),
    },
    {
      name: 'a user on a new address (users roam) stays quiet',
      fires: false,
      history: () => toEvents(Array.from({ length: 8 }, (_, d) => kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(d, 540) }))),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', ip: '198.51.100.90', time: at(8, 600) })]),
    },
    {
      name: 'a service principal\'s token obtained, then used, from a new public address is one alert',
      fires: true,
      expect: { principal_id: PIPELINE.oid, caller_ip: '192.0.2.58', alerts: 1 },
      history: () => toEvents(Array.from({ length: 8 }, (_, d) => kvRecord({ operation: 'SecretGet', ...PIPELINE, name: 'app-secret-0', ip: '10.30.1.10', time: at(d, 120) }))),
      events: () => toEvents([
        signinRecord({ category: SP_SIGNINS, sp: { oid: PIPELINE.oid, appid: PIPELINE.appid, name: 'ado-deploy' }, ip: '192.0.2.58', time: at(8, 600) }),
        kvRecord({ operation: 'SecretGet', ...PIPELINE, name: 'app-secret-0', ip: '192.0.2.58', time: at(8, 601) }),
      ]),
    },
  ],
});
