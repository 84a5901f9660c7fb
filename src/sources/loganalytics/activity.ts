/**
 * `AzureActivity` → the Activity log record Event Hubs delivers. The table keeps both a
 * display string and a value for several fields (`OperationName` / `OperationNameValue`,
 * `Category` / `CategoryValue`, `ActivityStatus` / `ActivityStatusValue`): the values are what
 * the Event Hubs record holds. The `_d` columns are the dynamic twins of older string ones.
 */
import { compact, jsonCell, text, timeOf, type Row } from './columns.js';

type Rec = Record<string, unknown>;

export function activityRecord(row: Row): Rec {
  const authorization = jsonCell(row, 'Authorization_d') ?? jsonCell(row, 'Authorization');
  const claims = jsonCell(row, 'Claims_d') ?? jsonCell(row, 'Claims');
  const identity = compact({ authorization, claims });
  return compact({
    time: timeOf(row),
    resourceId: text(row, '_ResourceId') ?? text(row, 'ResourceId'),
    operationName: text(row, 'OperationNameValue') ?? text(row, 'OperationName'),
    category: text(row, 'CategoryValue') ?? text(row, 'Category'),
    resultType: text(row, 'ActivityStatusValue') ?? text(row, 'ActivityStatus'),
    resultSignature: text(row, 'ActivitySubstatusValue') ?? text(row, 'ActivitySubstatus'),
    callerIpAddress: text(row, 'CallerIpAddress'),
    correlationId: text(row, 'CorrelationId'),
    caller: text(row, 'Caller'),
    eventDataId: text(row, 'EventDataId'),
    level: text(row, 'Level'),
    identity: Object.keys(identity).length > 0 ? identity : undefined,
    httpRequest: jsonCell(row, 'HTTPRequest'),
    properties: jsonCell(row, 'Properties_d') ?? jsonCell(row, 'Properties'),
  });
}
