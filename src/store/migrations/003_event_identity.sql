-- event_id becomes the event identity of src/schema/row.ts (eventIdentity): a hash of normalized
-- fields, no longer of the record's text, so a record streamed from Event Hubs and the same
-- record rebuilt from a Log Analytics row by `auditlake backfill` are stored once.
-- Keep this expression in step with row.ts; src/schema/row.test.ts checks they agree.

-- properties.id when it is a string, whether `properties` is an object or a string holding JSON.
CREATE TEMP MACRO auditlake_native_id(raw) AS CASE
  WHEN NOT json_valid(raw) THEN NULL
  WHEN json_type(raw, '$.properties.id') = 'VARCHAR' THEN nullif(json_extract_string(raw, '$.properties.id'), '')
  WHEN json_type(raw, '$.properties') = 'VARCHAR' AND json_valid(json_extract_string(raw, '$.properties'))
    AND json_type(json_extract_string(raw, '$.properties'), '$.id') = 'VARCHAR'
    THEN nullif(json_extract_string(json_extract_string(raw, '$.properties'), '$.id'), '')
  END;

CREATE TEMP MACRO auditlake_event_id(p_category, p_time, p_operation, p_result, p_principal, p_ip, p_resource, p_target, p_correlation, p_native, p_raw) AS
  substr(sha256(CASE WHEN lower(p_category) NOT IN ('auditevent', 'storageread', 'storagewrite', 'storagedelete',
      'administrative', 'policy', 'security', 'servicehealth', 'alert', 'recommendation', 'autoscale', 'resourcehealth', 'write', 'delete', 'action',
      'auditlogs', 'signinlogs', 'noninteractiveusersigninlogs', 'serviceprincipalsigninlogs', 'managedidentitysigninlogs')
    -- Categories without a field identity (Azure ML, generic) keep the hash of their compact text.
    THEN p_raw ELSE
    'v1' || chr(31) || lower(p_category) || chr(31) || CAST(round(epoch_us(p_time) / 1000.0) AS BIGINT)::VARCHAR || chr(31) ||
    CASE
      WHEN p_native IS NOT NULL AND lower(p_category) IN ('auditlogs', 'signinlogs', 'noninteractiveusersigninlogs', 'serviceprincipalsigninlogs', 'managedidentitysigninlogs')
        THEN p_native
      ELSE coalesce(lower(p_operation), chr(30)) || chr(31) || coalesce(p_result, chr(30)) || chr(31) ||
        coalesce(p_principal, chr(30)) || chr(31) || coalesce(p_ip, chr(30)) || chr(31) ||
        coalesce(p_resource, chr(30)) || chr(31) || coalesce(p_target, chr(30)) || chr(31) ||
        coalesce(lower(p_correlation), chr(30))
    END END), 1, 32);

CREATE TEMP TABLE event_id_remap AS
  SELECT event_id AS old_id,
    auditlake_event_id(category, time, operation, result, principal_id, caller_ip, resource_id, target, correlation_id, auditlake_native_id(raw), raw) AS new_id
  FROM events;

UPDATE events SET event_id =
  auditlake_event_id(category, time, operation, result, principal_id, caller_ip, resource_id, target, correlation_id, auditlake_native_id(raw), raw);

-- Records the old text hash told apart but the identity does not (the same record in two
-- shapes): the first stored stays.
DELETE FROM events WHERE rowid IN (
  SELECT rowid FROM (
    SELECT rowid, row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, rowid) AS n FROM events
  ) WHERE n > 1);

-- Alerts keep pointing at their events: evidence.event_ids are renamed like the events.
SET VARIABLE auditlake_remap = (
  SELECT map(list(old_id), list(new_id)) FROM event_id_remap
  WHERE old_id IN (SELECT unnest(json_extract_string(evidence, '$.event_ids[*]')) FROM alerts WHERE json_type(evidence, '$.event_ids') = 'ARRAY'));

UPDATE alerts SET evidence = json_merge_patch(evidence, json_object('event_ids',
    to_json(list_transform(json_extract_string(evidence, '$.event_ids[*]'), x -> coalesce(getvariable('auditlake_remap')[x], x)))))
  WHERE json_type(evidence, '$.event_ids') = 'ARRAY' AND getvariable('auditlake_remap') IS NOT NULL;

RESET VARIABLE auditlake_remap;
DROP TABLE event_id_remap;
DROP MACRO auditlake_event_id;
DROP MACRO auditlake_native_id;
