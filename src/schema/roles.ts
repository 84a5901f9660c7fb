/**
 * Built-in Azure role GUIDs (the same in every tenant) → names, so a role assignment row can say
 * "Owner" without a lookup. Detectors reuse the map and the constants; custom roles stay unnamed.
 */
import { roleGuid } from './fields.js';

export const BUILTIN_ROLES: Readonly<Record<string, string>> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  '8b54135c-b56d-4d72-a534-26097cfdc8d8': 'Key Vault Data Access Administrator',
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  'f6c7c914-8db3-469d-8ca1-694a8f32e121': 'AzureML Data Scientist',
  'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815': 'AzureML Compute Operator',
};

export const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
export const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
export const USER_ACCESS_ADMINISTRATOR = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
export const RBAC_ADMINISTRATOR = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';
export const KEY_VAULT_ADMINISTRATOR = '00482a5a-887f-4fb3-b363-3b7fe8e74483';

/** Roles that let their holder grant access to others (escalation paths). */
export const PRIVILEGED_ROLES: ReadonlySet<string> = new Set([
  OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR, KEY_VAULT_ADMINISTRATOR,
  '8b54135c-b56d-4d72-a534-26097cfdc8d8', // Key Vault Data Access Administrator
]);

/** Entra directory role template ids (the same in every tenant). */
export const ENTRA_GLOBAL_ADMINISTRATOR_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';

/** The built-in role's name for a GUID or a roleDefinitionId path, else null. */
export function builtinRoleName(roleDefinitionId: unknown): string | null {
  const guid = roleGuid(roleDefinitionId);
  return guid === null ? null : BUILTIN_ROLES[guid] ?? null;
}
