/**
 * The credential `azure.credential` names (credential-config.ts), built with @azure/identity.
 * Loaded only when a token is first asked for (lazy-credential.ts): @azure/identity takes about
 * half a second to import.
 */
import {
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import type { CredentialConfig } from './credential-config.js';

/**
 * The credential the config asks for (`DefaultAzureCredential` when it says nothing).
 * `clientOptions` go to the credential's own HTTP pipeline — tests pass `tlsOptions: { ca }`.
 */
export function credentialFrom(config: CredentialConfig | undefined, clientOptions: TokenCredentialOptions = {}): TokenCredential {
  switch (config?.kind) {
    case undefined:
    case 'default':
      return config?.managedIdentityClientId
        ? new DefaultAzureCredential({ ...clientOptions, managedIdentityClientId: config.managedIdentityClientId })
        : new DefaultAzureCredential(clientOptions);
    case 'managedIdentity':
      return new ManagedIdentityCredential({ ...clientOptions, clientId: config.clientId });
    case 'clientSecret':
      return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
        ...clientOptions,
        ...(config.authorityHost && {
          authorityHost: config.authorityHost,
          // Instance discovery asks login.microsoftonline.com whether the host is a known
          // authority; trust the configured host instead (and a test peer is in no list).
          disableInstanceDiscovery: true,
        }),
      });
  }
}
