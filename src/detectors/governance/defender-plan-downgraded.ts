import { T1562_001 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, SUBSCRIPTION, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { ACTIVITY_SETTING, isCompleted, opIs, text } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const PRICINGS_WRITE = 'MICROSOFT.SECURITY/PRICINGS/WRITE';
const pricing = (plan: string) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Security/pricings/${plan}`;

export default defineDetector({
  id: 'governance.defender-plan-downgraded',
  title: 'Microsoft Defender for Cloud plan set to Free',
  severity: 'high',
  attack: [T1562_001],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A Defender for Cloud plan (pricings write: Storage, Key Vaults, Resource Manager, AI, ...) was set to the Free tier, switching off its threat detection (malware scanning, unusual Key Vault access, anomalous ARM operations) for the whole subscription.',
  remediation: 'Re-enable the plan (evidence: the plan name is the resource name) unless the change was approved, and review the alerts the plan would have raised since: the other auditlake detectors on that subscription. Protect plans with Azure Policy.',
  falsePositives: ['Cost reviews that turn unused plans off.', 'Moving a plan\'s configuration to a management-group policy (Free, then re-enabled by policy).'],
  match: {
    where: (e) => isCompleted(e) && opIs(e, PRICINGS_WRITE) && text(e, 'pricing_tier')?.toLowerCase() === 'free',
    facts: (e) => ({ plan: e.resource_name, pricing_tier: text(e, 'pricing_tier') }),
  },
  cases: [
    {
      name: 'Defender for Key Vault set to Free fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: PRICINGS_WRITE, ...INTRUDER, resourceId: pricing('KeyVaults'), requestbody: { properties: { pricingTier: 'Free' } }, time: at(8, 600) })]),
    },
    {
      name: 'enabling Defender for Storage (Standard) stays quiet',
      fires: false,
      events: () => toEvents([activityRecord({ operation: PRICINGS_WRITE, ...ADMIN, resourceId: pricing('StorageAccounts'), requestbody: { properties: { pricingTier: 'Standard', subPlan: 'DefenderForStorageV2' } }, time: at(8, 600) })]),
    },
  ],
});
