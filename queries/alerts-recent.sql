-- name: alerts-recent
-- description: Alerts whose activity reaches past a time, most severe first, with detector, principal, resource and evidence size.
-- params: since=1970-01-01T00:00:00Z, min_severity=informational
--
-- `since` is compared with the alert's last event time (when the activity happened), not with
-- time_generated (when auditlake raised it), so replayed history filters sensibly.
-- `min_severity` is one of informational, low, medium, high.
WITH severity(name, rank) AS (
  VALUES ('informational', 0), ('low', 1), ('medium', 2), ('high', 3)
)
SELECT
  a.severity,
  a.detector_id,
  a.title,
  a.principal_id,
  a.principal_name,
  a.caller_ip,
  a.resource_id,
  a.event_count,
  a.first_event_time,
  a.last_event_time,
  a.time_generated,
  array_to_string(a.tactics, ', ')    AS tactics,
  array_to_string(a.techniques, ', ') AS techniques,
  a.alert_id
FROM alerts a
JOIN severity s ON s.name = a.severity
WHERE a.last_event_time >= $since::TIMESTAMPTZ
  -- an unknown severity is an error, not a silently empty result
  AND s.rank >= coalesce((SELECT rank FROM severity WHERE name = lower($min_severity::VARCHAR)),
                         error('min_severity must be informational, low, medium or high, not ' || $min_severity::VARCHAR))
ORDER BY s.rank DESC, a.last_event_time DESC, a.alert_id
