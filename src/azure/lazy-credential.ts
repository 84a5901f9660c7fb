/**
 * The configured credential, built on its first token request: @azure/identity (~0.5 s to
 * import) is loaded then, so a command or config that never calls Azure never loads it.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { CredentialConfig } from './credential-config.js';

export function lazyCredential(config: CredentialConfig | undefined): TokenCredential {
  let built: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      built ??= import('./credential.js').then(({ credentialFrom }) => credentialFrom(config));
      return (await built).getToken(scopes, options);
    },
  };
}
