/**
 * MITRE ATT&CK (Enterprise) tactics and the techniques auditlake's detectors map to.
 * Only real ids; names as ATT&CK spells them (sub-techniques as `Parent: Sub`).
 * A detector lists techniques; its tactics are derived from them.
 */
export interface Tactic { readonly id: string; readonly name: string }
export interface Technique { readonly id: string; readonly name: string; readonly tactics: readonly Tactic[] }

const tactic = (id: string, name: string): Tactic => Object.freeze({ id, name });

export const TA0001 = tactic('TA0001', 'Initial Access');
export const TA0003 = tactic('TA0003', 'Persistence');
export const TA0004 = tactic('TA0004', 'Privilege Escalation');
export const TA0005 = tactic('TA0005', 'Defense Evasion');
export const TA0006 = tactic('TA0006', 'Credential Access');
export const TA0007 = tactic('TA0007', 'Discovery');
export const TA0009 = tactic('TA0009', 'Collection');
export const TA0010 = tactic('TA0010', 'Exfiltration');
export const TA0040 = tactic('TA0040', 'Impact');

const technique = (id: string, name: string, ...tactics: Tactic[]): Technique => Object.freeze({ id, name, tactics: Object.freeze(tactics) });

// Credential access
export const T1555_006 = technique('T1555.006', 'Credentials from Password Stores: Cloud Secrets Management Stores', TA0006);
export const T1552 = technique('T1552', 'Unsecured Credentials', TA0006);
export const T1552_001 = technique('T1552.001', 'Unsecured Credentials: Credentials In Files', TA0006);
export const T1552_005 = technique('T1552.005', 'Unsecured Credentials: Cloud Instance Metadata API', TA0006);
export const T1110 = technique('T1110', 'Brute Force', TA0006);
export const T1528 = technique('T1528', 'Steal Application Access Token', TA0006);
export const T1556 = technique('T1556', 'Modify Authentication Process', TA0006, TA0005, TA0003);
export const T1556_009 = technique('T1556.009', 'Modify Authentication Process: Conditional Access Policies', TA0006, TA0005, TA0003);
export const T1621 = technique('T1621', 'Multi-Factor Authentication Request Generation', TA0006);

// Persistence / privilege escalation
export const T1098 = technique('T1098', 'Account Manipulation', TA0003, TA0004);
export const T1098_001 = technique('T1098.001', 'Account Manipulation: Additional Cloud Credentials', TA0003, TA0004);
export const T1098_003 = technique('T1098.003', 'Account Manipulation: Additional Cloud Roles', TA0003, TA0004);
export const T1078 = technique('T1078', 'Valid Accounts', TA0005, TA0003, TA0004, TA0001);
export const T1078_004 = technique('T1078.004', 'Valid Accounts: Cloud Accounts', TA0005, TA0003, TA0004, TA0001);
export const T1136_003 = technique('T1136.003', 'Create Account: Cloud Account', TA0003);
export const T1484 = technique('T1484', 'Domain or Tenant Policy Modification', TA0005, TA0004);
export const T1484_002 = technique('T1484.002', 'Domain or Tenant Policy Modification: Trust Modification', TA0005, TA0004);
export const T1548_005 = technique('T1548.005', 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access', TA0004, TA0005);

// Defense evasion
export const T1562 = technique('T1562', 'Impair Defenses', TA0005);
export const T1562_001 = technique('T1562.001', 'Impair Defenses: Disable or Modify Tools', TA0005);
export const T1562_007 = technique('T1562.007', 'Impair Defenses: Disable or Modify Cloud Firewall', TA0005);
export const T1562_008 = technique('T1562.008', 'Impair Defenses: Disable or Modify Cloud Logs', TA0005);
export const T1578 = technique('T1578', 'Modify Cloud Compute Infrastructure', TA0005);

// Credential access / collection in transit
export const T1557 = technique('T1557', 'Adversary-in-the-Middle', TA0006, TA0009);

// Discovery
export const T1580 = technique('T1580', 'Cloud Infrastructure Discovery', TA0007);
export const T1619 = technique('T1619', 'Cloud Storage Object Discovery', TA0007);
export const T1526 = technique('T1526', 'Cloud Service Discovery', TA0007);
export const T1087_004 = technique('T1087.004', 'Account Discovery: Cloud Account', TA0007);
export const T1069_003 = technique('T1069.003', 'Permission Groups Discovery: Cloud Groups', TA0007);

// Collection / exfiltration
export const T1530 = technique('T1530', 'Data from Cloud Storage', TA0009);
export const T1537 = technique('T1537', 'Transfer Data to Cloud Account', TA0010);
export const T1567 = technique('T1567', 'Exfiltration Over Web Service', TA0010);

// Impact
export const T1485 = technique('T1485', 'Data Destruction', TA0040);
export const T1486 = technique('T1486', 'Data Encrypted for Impact', TA0040);
export const T1490 = technique('T1490', 'Inhibit System Recovery', TA0040);
export const T1531 = technique('T1531', 'Account Access Removal', TA0040);

/** Unique tactics of the given techniques, in first-seen order. */
export function tacticsOf(techniques: readonly Technique[]): Tactic[] {
  const seen = new Map<string, Tactic>();
  for (const t of techniques) for (const ta of t.tactics) if (!seen.has(ta.id)) seen.set(ta.id, ta);
  return [...seen.values()];
}
