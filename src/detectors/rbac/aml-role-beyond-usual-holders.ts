import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, INTRUDER, RESOURCE_GROUP_SCOPE, roleAssignmentRecord, SUBSCRIPTION_SCOPE, toEvents, TRAINER, WORKSPACE_MI } from '../cases.js';
import { defineDetector } from '../define.js';
import { ACTIVITY_SETTING, AZUREML_COMPUTE_OPERATOR, AZUREML_DATA_SCIENTIST, AZUREML_ROLES, isCompletedGrant, scopeTypeOf } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const WORKSPACE_SCOPE = WORKSPACE_MI.resourceId;

/** Data scientists (users) get AzureML Data Scientist on the workspace; the training identity gets Compute Operator. */
const usualGrants = (days: number) => Array.from({ length: days }, (_, d) => [
  roleAssignmentRecord({ by: ADMIN, grantee: `0d0e0f10-${String(d).padStart(4, '0')}-4a5b-8c6d-7e8f9a0b1c2d`, role: AZUREML_DATA_SCIENTIST, scope: WORKSPACE_SCOPE, time: at(d, 540) }),
  ...(d % 3 === 0 ? [roleAssignmentRecord({ by: ADMIN, grantee: TRAINER.oid, granteeType: 'ServicePrincipal', role: AZUREML_COMPUTE_OPERATOR, scope: WORKSPACE_SCOPE, time: at(d, 545) })] : []),
]).flat();

export default defineDetector({
  id: 'rbac.aml-role-beyond-usual-holders',
  title: 'AzureML role granted to an unusual kind of principal or at an unusual scope',
  severity: 'medium',
  attack: [T1098_003],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'AzureML Data Scientist or AzureML Compute Operator was granted to a principal type (user, group, service principal) at a scope type (resource, resource group, subscription, ...) never seen for that role in the previous 180 days, after 14 days of learning. These roles run jobs and read datastores (and their credentials); a grant to a new kind of holder, or one widened from a workspace to a subscription, is how an intruder gets code execution next to the training data.',
  remediation: 'Confirm the grant with the workspace owner. Keep AzureML roles at workspace scope for the people and identities that train; remove grants to unexpected service principals or at subscription scope.',
  falsePositives: ['A new team onboarding through a group instead of individual users (new principal type, once).', 'A new automation identity for MLOps pipelines.'],
  firstSeen: {
    where: (e) => isCompletedGrant(e) && e.role_definition_id !== null && AZUREML_ROLES.has(e.role_definition_id),
    scope: (e) => e.role_definition_id,
    value: (e) => `${typeof e.details.grantee_type === 'string' ? e.details.grantee_type : 'unknown'}@${scopeTypeOf(e) ?? 'unknown'}`,
    learningDays: 14,
    forgetDays: 180,
    // A day of follow-up grants of the same unusual kind joins the first alert.
    suppressSeconds: 86_400,
  },
  cases: [
    {
      name: 'Data Scientist granted to a service principal fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      history: () => toEvents(usualGrants(15)),
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, granteeType: 'ServicePrincipal', role: AZUREML_DATA_SCIENTIST, scope: WORKSPACE_SCOPE, time: at(15, 600) })]),
    },
    {
      name: 'Compute Operator on the whole subscription fires',
      fires: true,
      expect: { principal_id: ADMIN.oid },
      history: () => toEvents(usualGrants(15)),
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: TRAINER.oid, granteeType: 'ServicePrincipal', role: AZUREML_COMPUTE_OPERATOR, scope: SUBSCRIPTION_SCOPE, time: at(15, 600) })]),
    },
    {
      name: 'another data scientist on the workspace stays quiet',
      fires: false,
      history: () => toEvents(usualGrants(15)),
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: AZUREML_DATA_SCIENTIST, scope: WORKSPACE_SCOPE, time: at(15, 600) })]),
    },
    {
      name: 'an unusual grant during the learning period stays quiet',
      fires: false,
      history: () => toEvents(usualGrants(5)),
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: AZUREML_DATA_SCIENTIST, scope: RESOURCE_GROUP_SCOPE, time: at(5, 600) })]),
    },
  ],
});
