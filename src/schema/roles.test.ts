import { describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, builtinRoleName } from './roles.js';

describe('built-in roles', () => {
  it('names a role from a roleDefinitionId path, a bare GUID or an undashed upper-case GUID', () => {
    expect(builtinRoleName('/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635')).toBe('Owner');
    expect(builtinRoleName('00482a5a-887f-4fb3-b363-3b7fe8e74483')).toBe('Key Vault Administrator');
    expect(builtinRoleName('18D7D88DD35E4FB5A5C37773C20A72D9')).toBe('User Access Administrator');
  });

  it('leaves custom and malformed ids unnamed', () => {
    expect(builtinRoleName('4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b')).toBeNull();
    expect(builtinRoleName('not-a-guid')).toBeNull();
    expect(builtinRoleName(undefined)).toBeNull();
  });

  it('keys the map by lower-case dashed GUIDs', () => {
    for (const guid of Object.keys(BUILTIN_ROLES)) expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
