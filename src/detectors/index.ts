/** The detector catalogue, listed (not discovered): adding a detector is one import and one line. */
import type { Detector } from './define.js';
import encryptionCmkDisabledOrPurgeProtectionOff from './encryption/cmk-disabled-or-purge-protection-off.js';
import encryptionCmkKeySourceReverted from './encryption/cmk-key-source-reverted.js';
import encryptionLegacyTlsRequests from './encryption/legacy-tls-requests.js';
import encryptionMinTlsLowered from './encryption/min-tls-lowered.js';
import entraAdminRoleAdded from './entra/admin-role-added.js';
import entraPimSettingsChanged from './entra/pim-settings-changed.js';
import entraPrivilegedSigninWithoutMfaOrRisky from './entra/privileged-signin-without-mfa-or-risky.js';
import entraRoleAddedOutsidePim from './entra/role-added-outside-pim.js';
import governanceDefenderPlanDowngraded from './governance/defender-plan-downgraded.js';
import governanceDiagnosticSettingRemoved from './governance/diagnostic-setting-removed.js';
import governancePolicyAssignmentRemoved from './governance/policy-assignment-removed.js';
import governancePublicNetworkAccessEnabled from './governance/public-network-access-enabled.js';
import identityManagedIdentityNewAddress from './identity/managed-identity-new-address.js';
import keyvaultDeniedBurst from './keyvault/denied-burst.js';
import keyvaultFirstSeenPrincipal from './keyvault/first-seen-principal.js';
import keyvaultListThenGet from './keyvault/list-then-get.js';
import keyvaultMassSecretRetrieval from './keyvault/mass-secret-retrieval.js';
import keyvaultNewIpForPrincipal from './keyvault/new-ip-for-principal.js';
import keyvaultPolicyOrNetworkChange from './keyvault/policy-or-network-change.js';
import keyvaultSensitiveOperation from './keyvault/sensitive-operation.js';
import rbacAmlRoleBeyondUsualHolders from './rbac/aml-role-beyond-usual-holders.js';
import rbacBroadScopeAssignment from './rbac/broad-scope-assignment.js';
import rbacCustomRoleWildcard from './rbac/custom-role-wildcard.js';
import rbacElevateAccess from './rbac/elevate-access.js';
import rbacNewGrantor from './rbac/new-grantor.js';
import rbacPrivilegedRoleAssigned from './rbac/privileged-role-assigned.js';
import rbacSelfAssignment from './rbac/self-assignment.js';
import storageCopyToOtherAccount from './storage/copy-to-other-account.js';
import storageEgressAboveBaseline from './storage/egress-above-baseline.js';
import storageEnumeration from './storage/enumeration.js';
import storageListkeysThenKeyRead from './storage/listkeys-then-key-read.js';
import storageManyBlobsRead from './storage/many-blobs-read.js';
import storageNewIpForPrincipal from './storage/new-ip-for-principal.js';
import storageNonOauthAccess from './storage/non-oauth-access.js';

export const detectors: readonly Detector[] = [
  keyvaultMassSecretRetrieval,
  keyvaultListThenGet,
  keyvaultFirstSeenPrincipal,
  keyvaultNewIpForPrincipal,
  keyvaultDeniedBurst,
  keyvaultSensitiveOperation,
  keyvaultPolicyOrNetworkChange,
  rbacPrivilegedRoleAssigned,
  rbacAmlRoleBeyondUsualHolders,
  rbacSelfAssignment,
  rbacBroadScopeAssignment,
  rbacElevateAccess,
  rbacCustomRoleWildcard,
  rbacNewGrantor,
  entraAdminRoleAdded,
  entraRoleAddedOutsidePim,
  entraPimSettingsChanged,
  entraPrivilegedSigninWithoutMfaOrRisky,
  storageEgressAboveBaseline,
  storageManyBlobsRead,
  storageNewIpForPrincipal,
  storageNonOauthAccess,
  storageListkeysThenKeyRead,
  storageCopyToOtherAccount,
  storageEnumeration,
  identityManagedIdentityNewAddress,
  governanceDiagnosticSettingRemoved,
  governancePolicyAssignmentRemoved,
  governanceDefenderPlanDowngraded,
  governancePublicNetworkAccessEnabled,
  encryptionMinTlsLowered,
  encryptionLegacyTlsRequests,
  encryptionCmkDisabledOrPurgeProtectionOff,
  encryptionCmkKeySourceReverted,
];
