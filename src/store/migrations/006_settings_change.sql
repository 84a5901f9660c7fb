-- settings_change: true on a record that carries any fact saying it changes a resource's guard
-- rails (network exposure, TLS, public blobs, HTTPS, soft delete, purge protection, the vault's
-- access model, policies and firewall), NULL otherwise. queries/governance-changes.sql then tests
-- one column, which DuckDB does inside the scan; an OR across the ten fact columns read every
-- column of every event. Kept in step with src/schema/facts.ts (SETTINGS_FACTS,
-- settingsChangeSql), which fills it for new rows. Few rows change, so an UPDATE is cheap.

ALTER TABLE events ADD COLUMN settings_change BOOLEAN;

UPDATE events SET settings_change = true
WHERE public_network_access IS NOT NULL OR network_default_action IS NOT NULL OR minimum_tls_version IS NOT NULL
   OR allow_blob_public_access IS NOT NULL OR https_only IS NOT NULL OR enable_soft_delete IS NOT NULL
   OR enable_purge_protection IS NOT NULL OR enable_rbac_authorization IS NOT NULL
   OR is_access_policy_change IS TRUE OR is_network_rule_change IS TRUE;
