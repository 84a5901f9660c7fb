/**
 * A loaded config made ready to talk to Azure: the credential it names (built on its first
 * token request, so commands that never call Azure never load @azure/identity), and its
 * `keyvault:` references replaced by the secrets' values (@azure/keyvault-secrets is loaded
 * only when there are some).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config.js';
import { lazyCredential } from './lazy-credential.js';
import { findSecretReferences } from './secret-reference.js';

export async function prepareForAzure(config: Config): Promise<{ config: Config; credential: () => TokenCredential }> {
  const built = lazyCredential(config.azure.credential);
  const credential = () => built;
  // Malformed references fail here, as they would in resolveSecretReferences.
  if (findSecretReferences(config).size === 0) return { config, credential };
  const { resolveSecretReferences } = await import('./secrets.js');
  return { config: await resolveSecretReferences(config, built), credential };
}
