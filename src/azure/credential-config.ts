/**
 * `azure.credential` in auditlake.yaml: which identity auditlake uses for every Azure API it
 * calls (Key Vault references, Event Hubs, Storage, Logs Ingestion, Log Analytics).
 *
 * ```yaml
 * azure:
 *   credential: { kind: default }                        # the default when the section is absent
 *   # credential: { kind: managedIdentity, clientId: 00000000-0000-0000-0000-000000000000 }
 *   # credential: { kind: clientSecret, tenantId: contoso.onmicrosoft.com, clientId: ..., clientSecret: '${AZURE_CLIENT_SECRET}' }
 * ```
 *
 * `default` is `DefaultAzureCredential`: environment variables (service principal or workload
 * identity), workload identity on AKS, managed identity on Azure, then developer sign-ins (Azure
 * CLI, azd, PowerShell). Set AZURE_TOKEN_CREDENTIALS=prod to skip the developer ones.
 */
import { z } from 'zod';
import { isSecretReference } from './secret-reference.js';

// The characters @azure/identity accepts in a tenant id (a GUID or a domain name).
const tenantId = z.string().regex(/^[0-9a-zA-Z.-]+$/, 'expected a tenant id: a GUID or a domain such as contoso.onmicrosoft.com');
const clientId = z.string().min(1);

export const credentialSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('default'),
    /** A user-assigned managed identity for the managed-identity step of the chain. */
    managedIdentityClientId: clientId.optional(),
  }),
  z.strictObject({
    kind: z.literal('managedIdentity'),
    /** A user-assigned identity; absent means the system-assigned one. */
    clientId: clientId.optional(),
  }),
  z.strictObject({
    kind: z.literal('clientSecret'),
    tenantId,
    clientId,
    clientSecret: z
      .string()
      .min(1)
      // This credential is what reads Key Vault, so Key Vault cannot supply it.
      .refine((s): boolean => !isSecretReference(s), 'a Key Vault reference cannot hold the secret used to read Key Vault; use ${ENV_VAR}'),
    /** Another cloud's Entra endpoint (https://login.microsoftonline.us) or a test peer. */
    authorityHost: z.url({ protocol: /^https$/, error: 'expected an https:// URL' }).optional(),
  }),
]);

export type CredentialConfig = z.infer<typeof credentialSchema>;
