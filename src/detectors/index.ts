/** The detector catalogue, listed (not discovered): adding a detector is one import and one line. */
import type { Detector } from './define.js';
import keyvaultDeniedBurst from './keyvault/denied-burst.js';
import keyvaultFirstSeenPrincipal from './keyvault/first-seen-principal.js';
import keyvaultListThenGet from './keyvault/list-then-get.js';
import keyvaultMassSecretRetrieval from './keyvault/mass-secret-retrieval.js';
import keyvaultNewIpForPrincipal from './keyvault/new-ip-for-principal.js';
import keyvaultPolicyOrNetworkChange from './keyvault/policy-or-network-change.js';
import keyvaultSensitiveOperation from './keyvault/sensitive-operation.js';
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
  storageEgressAboveBaseline,
  storageManyBlobsRead,
  storageNewIpForPrincipal,
  storageNonOauthAccess,
  storageListkeysThenKeyRead,
  storageCopyToOtherAccount,
  storageEnumeration,
];
