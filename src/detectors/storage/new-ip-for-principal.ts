import { T1078_004, T1530 } from '../attack.js';
import { at, storageRecord, toEvents, TRAINER } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { isBackgroundScanner, isPrivateIp, storageAccountId } from '../keys.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

/**
 * Compute clusters scale out on fresh private addresses every day: a private address counts as
 * its /16, so only a new network (or any public address) is new.
 */
export function addressClass(ip: string): string {
  if (!isPrivateIp(ip)) return ip;
  if (ip.includes(':')) return 'private:v6';
  const [a, b] = ip.split('.');
  return `private:${a}.${b}`;
}

/** Principals are their own scope; SAS, key and anonymous callers share one per account and auth type. */
function scopeOf(e: EventRow): string | null {
  if (e.principal_id !== null) return e.principal_id;
  if (e.auth_type === null || e.auth_type === 'oauth') return null;
  return `${e.auth_type}@${storageAccountId(e) ?? ''}`;
}

const cluster = (days: number) => Array.from({ length: days }, (_, d) => storageRecord({ operation: 'GetBlob', ...TRAINER, ip: `10.20.${d}.${10 + d}`, time: at(d, 180) }));
const sasFromPartner = (days: number) => Array.from({ length: days }, (_, d) => storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '203.0.113.50', path: 'exports/daily.csv', time: at(d, 300) }));

export default defineDetector({
  id: 'storage.new-ip-for-principal',
  title: 'Storage read from an address new for this principal',
  severity: 'medium',
  attack: [T1078_004, T1530],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'A principal reached a storage account from an address it had not used in the previous 30 days (after 7 days of learning). Managed identities normally read from private addresses: a public one means its token is used outside Azure. SAS, account-key and anonymous callers have no principal, so their addresses are learned per account and auth type and the alert names the address. Private addresses count per /16.',
  remediation: 'For a managed identity on a public address: treat its token as stolen (restart the workload, check the host for IMDS abuse) and review what was read. For a SAS: revoke it (rotate the signing key or remove the stored access policy).',
  falsePositives: ['Users on new networks (travel, VPN).', 'New VNets or NAT gateways.', 'Partners given a SAS who move infrastructure.'],
  exclude: isBackgroundScanner,
  firstSeen: {
    where: (e) => e.result === 'success' && e.caller_ip !== null,
    scope: scopeOf,
    value: (e) => addressClass(e.caller_ip!),
    learningDays: 7,
    forgetDays: 30,
  },
  cases: [
    {
      name: 'the training identity from a public address fires',
      fires: true,
      expect: { principal_id: TRAINER.oid, caller_ip: '198.51.100.77' },
      history: () => toEvents(cluster(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...TRAINER, ip: '198.51.100.77', time: at(8, 600) })]),
    },
    {
      name: 'the training identity on a new node of its cluster stays quiet',
      fires: false,
      history: () => toEvents(cluster(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...TRAINER, ip: '10.20.99.7', time: at(8, 600) })]),
    },
    {
      name: 'a SAS used from a new address fires, naming the address',
      fires: true,
      expect: { caller_ip: '192.0.2.99', principal_id: null },
      history: () => toEvents(sasFromPartner(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '192.0.2.99', path: 'exports/daily.csv', time: at(8, 600) })]),
    },
    {
      name: 'the partner\'s usual SAS address stays quiet',
      fires: false,
      history: () => toEvents(sasFromPartner(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '203.0.113.50', path: 'exports/daily.csv', time: at(8, 600) })]),
    },
  ],
});
