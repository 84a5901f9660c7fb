/**
 * A loaded config made ready to talk to Azure: the credential it names (built on first use,
 * so commands that never call Azure never touch it), and its `keyvault:` references replaced
 * by the secrets' values.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config.js';
import { credentialFrom } from './credential.js';
import { resolveSecretReferences } from './secrets.js';

export async function prepareForAzure(config: Config): Promise<{ config: Config; credential: () => TokenCredential }> {
  let built: TokenCredential | undefined;
  const credential = () => (built ??= credentialFrom(config.azure.credential));
  return { config: await resolveSecretReferences(config, credential()), credential };
}
