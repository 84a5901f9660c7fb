/**
 * A log family: the categories it reads, the zod schema that validates one record, and the
 * mapping from the validated record to the `events` columns. One file per family implements it;
 * `families.ts` lists them (plug-ins are listed, not discovered).
 */
import type { z } from 'zod';
import type { EventFields } from './event.js';

export interface Family<T = unknown> {
  name: string;
  /** Categories as Azure spells them; matched case-insensitively. */
  categories: readonly string[];
  /** Validates one record after `prepareRecord` repaired the envelope-level quirks. */
  schema: z.ZodType<T>;
  /** Claims records by shape when the category alone cannot (Activity log REST exports). */
  detect?(record: Record<string, unknown>): boolean;
  /** Maps a validated record to the events columns. Pure; never throws on valid input. */
  toEvent(record: T, category: string): EventFields;
}

export function defineFamily<T>(family: Family<T>): Family<T> {
  return family;
}
