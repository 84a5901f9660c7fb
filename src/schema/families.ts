/** The log families auditlake reads, listed (not discovered). Order matters only for shape detection. */
import type { Family } from './family.js';
import { keyvaultFamily } from './keyvault.js';
import { storageFamily } from './storage.js';
import { amlFamily } from './aml.js';
import { activityFamily } from './activity.js';
import { entraAuditFamily } from './entra-audit.js';
import { signinFamily } from './signin.js';

export { genericFamily } from './generic.js';

export const families: readonly Family<any>[] = [
  keyvaultFamily,
  storageFamily,
  amlFamily,
  activityFamily,
  entraAuditFamily,
  signinFamily,
];
