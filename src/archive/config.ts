/**
 * `export:` and `retention:` in auditlake.yaml.
 *
 * ```yaml
 * export:
 *   to: az://contosoauditlogs/auditlake/events   # or a folder
 *   everyHours: 24                               # how often `run` exports the days not yet exported
 * retention:
 *   days: 90          # events older than this are deleted — once an export holds them, when export is configured
 * ```
 */
import { z } from 'zod';
import { AZ_URL } from '../azure/blob-target.js';

export const exportSchema = z.strictObject({
  /** A folder, or az://<storage account>/<container>/<prefix> (Blob Storage or ADLS Gen2). */
  to: z.string().min(1).refine((to) => !to.startsWith('az://') || AZ_URL.test(to),
    'expected az://<storage account>/<container>[/<prefix>] (account: 3-24 lowercase letters and digits; container: 3-63 lowercase letters, digits and single hyphens), or a folder'),
  /** For az://: a storage connection string instead of `azure.credential` (Azurite, or no identity). */
  connectionString: z.string().min(1).optional(),
  everyHours: z.number().min(0.001).max(168).default(24),
});

export const retentionSchema = z.strictObject({
  days: z.number().min(1).max(36_500),
  /** How often `run` applies it. */
  everyHours: z.number().min(0.001).max(168).default(24),
});

export type ExportConfig = z.infer<typeof exportSchema>;
export type RetentionConfig = z.infer<typeof retentionSchema>;
