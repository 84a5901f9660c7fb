import { describe, expect, it } from 'vitest';
import { fitsInt64, isStorableTime, normalizeAuthType, normalizeResult, num, parseLooseJson, parseTime, pick, roleGuid, splitResourceId, stripPort } from './fields.js';

describe('parseTime', () => {
  it('reads ISO-8601 with 7 fractional digits, with and without a zone', () => {
    expect(parseTime('2025-11-14T01:48:53.1234567Z')).toBe(Date.UTC(2025, 10, 14, 1, 48, 53, 123));
    expect(parseTime('2025-11-14T01:48:53.1234567')).toBe(Date.UTC(2025, 10, 14, 1, 48, 53, 123));
    expect(parseTime('2025-11-14T02:48:53+01:00')).toBe(Date.UTC(2025, 10, 14, 1, 48, 53));
    expect(parseTime('2025-11-14 01:48:53Z')).toBe(Date.UTC(2025, 10, 14, 1, 48, 53));
  });

  it('reads US-style times with AM/PM, noon and midnight', () => {
    expect(parseTime('11/14/2025 1:48:53 AM')).toBe(Date.UTC(2025, 10, 14, 1, 48, 53));
    expect(parseTime('11/14/2025 1:48:53 PM')).toBe(Date.UTC(2025, 10, 14, 13, 48, 53));
    expect(parseTime('11/14/2025 12:00:00 AM')).toBe(Date.UTC(2025, 10, 14, 0));
    expect(parseTime('11/14/2025 12:00:00 PM')).toBe(Date.UTC(2025, 10, 14, 12));
    expect(parseTime('12/12/2023 12:13:59 PM')).toBe(Date.UTC(2023, 11, 12, 12, 13, 59));
  });

  it('refuses what is not a time, including day-first dates', () => {
    for (const v of [undefined, null, '', 'yesterday', '2025-11-14', '14/11/2025 1:48:53 AM', '11/14/2025 13:00:00 PM', Number.NaN, {}]) {
      expect(parseTime(v)).toBeNull();
    }
    expect(parseTime(1763084933000)).toBe(1763084933000);
  });

  it('refuses dates that do not exist rather than rolling them into the next month', () => {
    for (const v of ['2025-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2025-04-31T12:00:00Z', '2025-13-01T00:00:00Z', '2025-00-10T00:00:00Z',
      '11/31/2025 1:48:53 AM', '2/29/2025 1:00:00 PM', '2/30/2024 1:00:00 PM']) {
      expect(parseTime(v), v).toBeNull();
    }
    expect(parseTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTime('2/29/2024 1:00:00 PM')).toBe(Date.UTC(2024, 1, 29, 13));
    expect(parseTime('12/31/2025 11:59:59 PM')).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
  });

  it('reads numbers below 1e11 as epoch seconds, larger ones as ms, and refuses any outside 2000-2200', () => {
    expect(parseTime(1700000000)).toBe(1700000000_000);
    expect(parseTime(1700000000.5)).toBe(1700000000_500);
    expect(parseTime(1700000000123)).toBe(1700000000123);
    for (const v of [0, -1, 1e300, 86_400, 1e11 - 1, 946684799999, 7258118400000, Infinity]) expect(parseTime(v), String(v)).toBeNull();
  });
});

describe('fitsInt64, isStorableTime', () => {
  it('say whether a number fits a BIGINT column and a time the store', () => {
    expect([0, -5, 2 ** 62, -(2 ** 63), Number.MAX_SAFE_INTEGER].every(fitsInt64)).toBe(true);
    expect([2 ** 63, 1e30, -1e19, Number.NaN, Infinity].some(fitsInt64)).toBe(false);
    expect(isStorableTime(Date.UTC(2025, 0, 1))).toBe(true);
    expect([1e300, Number.NaN, 8.64e15 + 1].some(isStorableTime)).toBe(false);
  });
});

describe('stripPort', () => {
  it('drops ports from IPv4 and bracketed IPv6 and keeps bare IPv6', () => {
    expect(stripPort('10.50.0.204:38208')).toBe('10.50.0.204');
    expect(stripPort('104.40.82.76')).toBe('104.40.82.76');
    expect(stripPort('[2001:db8::17]:51234')).toBe('2001:db8::17');
    expect(stripPort('[2001:db8::17]')).toBe('2001:db8::17');
    expect(stripPort('2406:7400:56:6a4b:5437:e2c2:7da9:93ad')).toBe('2406:7400:56:6a4b:5437:e2c2:7da9:93ad');
  });

  it('returns null for redacted, empty and non-strings', () => {
    expect(stripPort('<Redacted>')).toBeNull();
    expect(stripPort('')).toBeNull();
    expect(stripPort(undefined)).toBeNull();
    expect(stripPort(42)).toBeNull();
  });
});

describe('normalizeAuthType', () => {
  it('reads every spelling Azure uses', () => {
    expect(normalizeAuthType('OAuth')).toBe('oauth');
    expect(normalizeAuthType('SAS')).toBe('sas');
    expect(normalizeAuthType('SAS Key')).toBe('sas');
    expect(normalizeAuthType('DelegationSas')).toBe('sas');
    expect(normalizeAuthType('AccountKey')).toBe('accountkey');
    expect(normalizeAuthType('Account Key')).toBe('accountkey');
    expect(normalizeAuthType('Anonymous')).toBe('anonymous');
    expect(normalizeAuthType('Kerberos')).toBe('kerberos');
    expect(normalizeAuthType('Something new')).toBe('unknown');
    expect(normalizeAuthType('')).toBeNull();
    expect(normalizeAuthType(undefined)).toBeNull();
  });
});

describe('normalizeResult', () => {
  it('folds casing and tense', () => {
    expect(['Success', 'Succeeded', 'succeeded.', 'OK'].map(normalizeResult)).toEqual(['success', 'success', 'success', 'success']);
    expect(['Failure', 'Failed', 'Forbidden'].map(normalizeResult)).toEqual(['failure', 'failure', 'failure']);
    expect(['Start', 'Started', 'Accepted', 'In Progress', 7].map(normalizeResult)).toEqual(['start', 'start', 'accepted', 'unknown', 'unknown']);
  });
});

describe('splitResourceId', () => {
  it('lower-cases and splits a nested storage id', () => {
    expect(splitResourceId('/SUBSCRIPTIONS/AAAA/RESOURCEGROUPS/RG-1/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACCT/BLOBSERVICES/DEFAULT')).toEqual({
      resource_id: '/subscriptions/aaaa/resourcegroups/rg-1/providers/microsoft.storage/storageaccounts/acct/blobservices/default',
      subscription_id: 'aaaa',
      resource_group: 'rg-1',
      resource_type: 'microsoft.storage/storageaccounts/blobservices',
      resource_name: 'acct',
    });
  });

  it('names resource groups and subscriptions themselves, and tolerates nothing', () => {
    expect(splitResourceId('/subscriptions/s1/resourceGroups/RG/')).toMatchObject({ resource_type: 'resourcegroups', resource_name: 'rg' });
    expect(splitResourceId('/subscriptions/s1')).toMatchObject({ resource_type: 'subscriptions', resource_name: 's1' });
    expect(splitResourceId(undefined).resource_id).toBeNull();
  });
});

describe('parseLooseJson', () => {
  it('reads double- and single-quoted JSON', () => {
    expect(parseLooseJson('{"a": 1}')).toEqual({ a: 1 });
    expect(parseLooseJson("{'accountName': 'acct', 'n': 3, 'ok': true}")).toEqual({ accountName: 'acct', n: 3, ok: true });
    expect(parseLooseJson(`{'etag': 'say "hi"', 'it\\'s': 'x'}`)).toEqual({ etag: 'say "hi"', "it's": 'x' });
  });

  it('returns undefined for text that is not JSON', () => {
    expect(parseLooseJson('')).toBeUndefined();
    expect(parseLooseJson('not json')).toBeUndefined();
    expect(parseLooseJson("{'broken': }")).toBeUndefined();
  });
});

describe('num, pick, roleGuid', () => {
  it('reads numbers from strings and keys case-insensitively', () => {
    expect(num('78')).toBe(78);
    expect(num('')).toBeNull();
    expect(num('x')).toBeNull();
    expect(pick({ PrincipalId: 'p' }, 'principalId')).toBe('p');
    expect(pick(null, 'a')).toBeUndefined();
  });

  it('extracts a role GUID from a path or a dashless GUID', () => {
    expect(roleGuid('/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C')).toBe('b24988ac-6180-42a0-ab88-20f7382dd24c');
    expect(roleGuid('b24988ac618042a0ab8820f7382dd24c')).toBe('b24988ac-6180-42a0-ab88-20f7382dd24c');
    expect(roleGuid('Contributor')).toBeNull();
  });
});
