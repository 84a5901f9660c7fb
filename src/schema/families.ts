/** The log families auditlake reads, listed (not discovered). Order matters only for shape detection. */
import type { Family } from './family.js';

export { genericFamily } from './generic.js';

export const families: readonly Family<any>[] = [
];
