-- The facts investigations filter on, as columns of their own. `details` stays as it was (every
-- fact a family extracts, as JSON), but it is zstd-compressed text: DuckDB decompresses and
-- parses every row group a query touches, ~0.3 s per million rows even when 1 % of rows match,
-- because the few role assignments or sign-ins lie between millions of storage reads. A column
-- of its own is read alone and skipped where NULL. Kept in step with src/schema/facts.ts
-- (FACT_COLUMNS), which fills them for new rows.
--
-- The table is rebuilt rather than altered and updated: an UPDATE of every row keeps undo
-- state for all of them (it used 8 GB on 10M events), while INSERT … SELECT streams. Each
-- row's details is parsed once for all the facts.

CREATE TABLE events_next (
  event_id           VARCHAR NOT NULL,      -- sha-256 of the event identity (src/schema/row.ts): redeliveries collapse
  time               TIMESTAMPTZ NOT NULL,  -- event time
  ingested_at        TIMESTAMPTZ NOT NULL,  -- commit time of the batch; strictly increasing per batch
  source             VARCHAR NOT NULL,
  category           VARCHAR NOT NULL,
  operation          VARCHAR NOT NULL,
  result             VARCHAR NOT NULL,
  status_code        VARCHAR,
  principal_id       VARCHAR,
  principal_name     VARCHAR,
  app_id             VARCHAR,
  principal_type     VARCHAR NOT NULL,
  auth_type          VARCHAR,
  caller_ip          VARCHAR,
  resource_id        VARCHAR,
  subscription_id    VARCHAR,
  resource_group     VARCHAR,
  resource_type      VARCHAR,
  resource_name      VARCHAR,
  target             VARCHAR,
  role_definition_id VARCHAR,
  bytes_out          BIGINT,
  bytes_in           BIGINT,
  user_agent         VARCHAR,
  tls_version        VARCHAR,
  correlation_id     VARCHAR,
  details            JSON USING COMPRESSION zstd,  -- facts per family: verbose JSON, compresses ~10x
  -- Audit records are highly repetitive JSON: zstd keeps the file several times smaller than the input.
  raw                VARCHAR USING COMPRESSION zstd,
  -- facts from details (src/schema/facts.ts)
  account_name                    VARCHAR,
  sas_permissions                 VARCHAR,
  sas_expiry                      VARCHAR,
  caller_role                     VARCHAR,
  role_name                       VARCHAR,
  scope                           VARCHAR,
  scope_type                      VARCHAR,
  grantee_type                    VARCHAR,
  self_assignment                 BOOLEAN,
  target_id                       VARCHAR,
  target_type                     VARCHAR,
  audit_category                  VARCHAR,
  logged_by_service               VARCHAR,
  result_reason                   VARCHAR,
  modified_properties             VARCHAR,
  mfa                             BOOLEAN,
  is_interactive                  BOOLEAN,
  auth_requirement                VARCHAR,
  auth_methods                    VARCHAR,
  ca_status                       VARCHAR,
  country                         VARCHAR,
  app_display_name                VARCHAR,
  resource_display_name           VARCHAR,
  public_network_access           VARCHAR,
  network_default_action          VARCHAR,
  minimum_tls_version             VARCHAR,
  allow_blob_public_access        BOOLEAN,
  https_only                      BOOLEAN,
  enable_soft_delete              BOOLEAN,
  enable_purge_protection         BOOLEAN,
  enable_rbac_authorization       BOOLEAN,
  is_access_policy_change         BOOLEAN,
  is_network_rule_change          BOOLEAN,
  added_access_policy_object_id   VARCHAR,
  added_access_policy_permissions VARCHAR
);

INSERT INTO events_next
SELECT * EXCLUDE (f),
  f[1] AS account_name,
  f[2] AS sas_permissions,
  f[3] AS sas_expiry,
  f[4] AS caller_role,
  f[5] AS role_name,
  f[6] AS scope,
  f[7] AS scope_type,
  f[8] AS grantee_type,
  TRY_CAST(f[9] AS BOOLEAN) AS self_assignment,
  f[10] AS target_id,
  f[11] AS target_type,
  f[12] AS audit_category,
  f[13] AS logged_by_service,
  f[14] AS result_reason,
  f[15] AS modified_properties,
  TRY_CAST(f[16] AS BOOLEAN) AS mfa,
  TRY_CAST(f[17] AS BOOLEAN) AS is_interactive,
  f[18] AS auth_requirement,
  f[19] AS auth_methods,
  f[20] AS ca_status,
  f[21] AS country,
  f[22] AS app_display_name,
  f[23] AS resource_display_name,
  f[24] AS public_network_access,
  f[25] AS network_default_action,
  f[26] AS minimum_tls_version,
  TRY_CAST(f[27] AS BOOLEAN) AS allow_blob_public_access,
  TRY_CAST(f[28] AS BOOLEAN) AS https_only,
  TRY_CAST(f[29] AS BOOLEAN) AS enable_soft_delete,
  TRY_CAST(f[30] AS BOOLEAN) AS enable_purge_protection,
  TRY_CAST(f[31] AS BOOLEAN) AS enable_rbac_authorization,
  TRY_CAST(f[32] AS BOOLEAN) AS is_access_policy_change,
  TRY_CAST(f[33] AS BOOLEAN) AS is_network_rule_change,
  f[34] AS added_access_policy_object_id,
  f[35] AS added_access_policy_permissions
FROM (SELECT *, json_extract_string(details, ['$.account_name', '$.sas_permissions', '$.sas_expiry', '$.caller_role', '$.role_name', '$.scope', '$.scope_type', '$.grantee_type', '$.self_assignment', '$.target_id', '$.target_type', '$.audit_category', '$.logged_by_service', '$.result_reason', '$.modified_properties', '$.mfa', '$.is_interactive', '$.auth_requirement', '$.auth_methods', '$.ca_status', '$.country', '$.app_display_name', '$.resource_display_name', '$.public_network_access', '$.network_default_action', '$.minimum_tls_version', '$.allow_blob_public_access', '$.https_only', '$.enable_soft_delete', '$.enable_purge_protection', '$.enable_rbac_authorization', '$.is_access_policy_change', '$.is_network_rule_change', '$.added_access_policy_object_id', '$.added_access_policy_permissions']) AS f FROM events);

DROP TABLE events;
ALTER TABLE events_next RENAME TO events;
