/** Single-event match: every matching event is a hit; suppression folds a run of them into one alert. */
import type { EventRow } from '../../schema/event.js';
import type { MatchShape } from '../define.js';
import type { Incidents } from '../incidents.js';
import type { ShapeRunner } from './runner.js';

export function defaultMatchKey(e: EventRow): string {
  return `${e.principal_id ?? e.app_id ?? e.caller_ip ?? 'unknown'}|${e.resource_id ?? ''}`;
}

export function matchRunner(spec: MatchShape, incidents: Incidents): ShapeRunner {
  const keyOf = spec.key ?? defaultMatchKey;
  return {
    onEvent(e) {
      if (!spec.where(e)) return;
      const key = keyOf(e);
      // A sensitive operation matters however late it arrives: no watermark check here.
      if (key !== null) incidents.fire(key, e, e.time, { operation: e.operation, ...spec.facts?.(e) });
    },
    sweep() {},
    keyCount: 0,
    evicted: 0,
    save: () => null,
    load() {},
  };
}
