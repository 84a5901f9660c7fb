/** Key Vault operation names (AuditEvent `operationName`), grouped the way detectors use them. */
export const OBJECT_READS: ReadonlySet<string> = new Set(['SecretGet', 'KeyGet', 'CertificateGet']);
export const OBJECT_LISTS: ReadonlySet<string> = new Set(['SecretList', 'KeyList', 'CertificateList', 'SecretListVersions', 'KeyListVersions']);

/** Destroy, extract or resurrect vault objects: each one worth a look on its own. */
export const SENSITIVE_OPERATIONS: ReadonlySet<string> = new Set([
  'SecretDelete', 'SecretPurge', 'SecretBackup', 'SecretRestore', 'SecretRecover',
  'KeyDelete', 'KeyPurge', 'KeyBackup', 'KeyRestore', 'KeyRecover',
  'CertificateDelete', 'CertificatePurge', 'CertificateBackup', 'CertificateRestore', 'CertificateRecover',
  'VaultDelete',
]);

/** Management calls ARM makes on the caller's behalf; data-plane detectors skip them. */
export function isVaultManagement(operation: string): boolean {
  return operation.startsWith('Vault');
}

export const AUDIT_EVENT_SETTING = 'Diagnostic setting on each Key Vault with the `AuditEvent` category (audit logs) sent to the Event Hub auditlake reads.';
