/**
 * Azure Machine Learning workspace categories: compute (cluster, node, job, instance), runs,
 * and the asset audit events (models, deployments, inferencing, environments, data labels,
 * datasets, datastores, pipelines). Field names follow the Azure Monitor table references;
 * Azure sends them PascalCase inside `properties` (often as a JSON string), so reads are
 * case-insensitive.
 */
import { z } from 'zod';
import type { Details, PrincipalType, Result } from './event.js';
import { principalFromClaims, type Principal } from './common.js';
import { envelopeFields, objectOrEmpty, type Obj } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeResult, num, parseLooseJson, pick, splitResourceId, str, stripPort } from './fields.js';

const schema = z.looseObject({ ...envelopeFields, level: z.unknown().optional() });

type Rec = Obj;
const obj = objectOrEmpty;

/** Which property names the target (the thing acted on) comes from, per category prefix. */
const TARGET_KEYS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['amlcomputejobevent', ['JobName', 'JobId']],
  ['amlcomputecluster', ['ClusterName']],
  ['amlrunstatuschangedevent', ['RunId']],
  ['run', ['RunId']],
  ['models', ['AmlModelName']],
  ['deployment', ['AmlServiceName']],
  ['inferencing', ['AmlServiceName']],
  ['environment', ['AmlEnvironmentName']],
  ['datalabel', ['AmlProjectName', 'AmlProjectId']],
  ['dataset', ['AmlDatasetName', 'AmlDatasetId']],
  ['datastore', ['AmlDatastoreName', 'AmlDataStoreName']],
  ['pipeline', ['AmlPipelineDraftName', 'AmlPipelineEndpointName', 'AmlModuleName', 'AmlPipelineId']],
  ['computeinstance', ['AmlComputeInstanceName']],
];

/** detail key ← property names (first present wins). Small and flat, for detectors and SQL. */
const DETAIL_KEYS: ReadonlyArray<readonly [string, ...string[]]> = [
  ['workspace_id', 'AmlWorkspaceId', 'WorkspaceId'],
  ['workspace_name', 'AmlWorkspaceName', 'WorkspaceName'],
  ['tenant_id', 'AadTenantId'],
  ['event_type', 'EventType'],
  ['execution_state', 'ExecutionState'],
  ['provisioning_state', 'ProvisioningState'],
  ['run_status', 'Status'],
  ['experiment_name', 'ExperimentName'],
  ['cluster_name', 'ClusterName'],
  ['job_id', 'JobId'],
  ['run_id', 'RunId'],
  ['parent_run_id', 'ParentRunId'],
  ['root_run_id', 'RootRunId'],
  ['node_id', 'NodeId'],
  ['vm_size', 'VmSize'],
  ['vm_priority', 'VmPriority'],
  ['created_by', 'CreatedBy'],
  ['datastore_name', 'AmlDatastoreName', 'AmlDataStoreName'],
  ['dataset_id', 'AmlDatasetId'],
  ['model_name', 'AmlModelName'],
  ['service_name', 'AmlServiceName'],
  ['environment_version', 'AmlEnvironmentVersion'],
  ['project_id', 'AmlProjectId'],
  ['pipeline_id', 'AmlPipelineId'],
  ['pipeline_endpoint_id', 'AmlPipelineEndpointId'],
  ['error', 'JobErrorMessage', 'ErrorDetails', 'ClusterErrorCodes'],
];

function targetOf(category: string, props: Rec): string | null {
  const c = category.toLowerCase();
  for (const [prefix, keys] of TARGET_KEYS) {
    if (!c.startsWith(prefix)) continue;
    for (const k of keys) {
      const v = str(pick(props, k));
      if (v !== null) return v;
    }
  }
  return null;
}

const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The caller. `identity` is a claims object, a flat object, or a string (JSON, a UPN or an
 * object id) depending on the category; the run/compute categories name the user only in
 * `properties` (`UserName`, `TriggeringUserName`, `CallerObjectId`, `UserObjectId`).
 */
function principalOf(identity: unknown, props: Rec): Principal {
  let id: unknown = identity;
  if (typeof id === 'string') {
    const parsed = parseLooseJson(id);
    if (parsed !== null && typeof parsed === 'object') id = parsed;
  }
  const o = obj(id);
  const claims = pick(o, 'claims', 'claim');
  if (claims !== undefined) return principalFromClaims(claims);

  const text = typeof id === 'string' ? str(id) : null;
  const objectId = str(pick(o, 'objectId', 'oid', 'CallerObjectId', 'UserObjectId'))
    ?? (text !== null && GUID.test(text) ? text : null)
    ?? str(pick(props, 'CallerObjectId', 'UserObjectId', 'ObjectId'));
  const name = str(pick(o, 'upn', 'UserPrincipalName', 'UserName', 'name'))
    ?? (text !== null && text.includes('@') ? text : null)
    ?? str(pick(props, 'UserName', 'UserPrincipalName', 'TriggeringUserName'));
  const appId = str(pick(o, 'appId', 'appid', 'ApplicationId')) ?? str(pick(props, 'CallerApplicationId', 'ApplicationId'));
  const type: PrincipalType = name !== null && name.includes('@') ? 'user'
    : objectId !== null || appId !== null ? 'servicePrincipal' : 'unknown';
  return { principal_id: objectId?.toLowerCase() ?? null, principal_name: name, app_id: appId?.toLowerCase() ?? null, principal_type: type };
}

/** Run and job states speak their own words: `Completed`, `Canceled`, `JobFailed`. */
function fromState(value: unknown): Result {
  const word = (str(value) ?? '').toLowerCase().replace(/^(job|run|cluster)/, '');
  const r = normalizeResult(word);
  if (r !== 'unknown') return r;
  if (word === 'completed' || word === 'finished') return 'success';
  if (word === 'canceled' || word === 'cancelled') return 'failure';
  if (word === 'submitted' || word === 'queued' || word === 'preparing') return 'start';
  return 'unknown';
}

function resultOf(r: { resultType?: unknown; resultSignature?: unknown }, props: Rec): Result {
  const direct = fromState(r.resultType);
  if (direct !== 'unknown') return direct;
  const status = num(r.resultSignature);
  if (status !== null && status >= 100) return status >= 400 ? 'failure' : 'success';
  for (const key of ['Status', 'ExecutionState', 'EventType', 'ProvisioningState']) {
    const r = fromState(pick(props, key));
    if (r !== 'unknown') return r;
  }
  return 'unknown';
}

export const amlFamily = defineFamily({
  name: 'aml',
  categories: [
    'AmlComputeClusterEvent', 'AmlComputeClusterNodeEvent', 'AmlComputeJobEvent', 'AmlRunStatusChangedEvent',
    'ComputeInstanceEvent', 'ModelsChangeEvent', 'ModelsReadEvent', 'ModelsActionEvent',
    'DeploymentReadEvent', 'DeploymentEventACI', 'DeploymentEventAKS', 'InferencingOperationAKS', 'InferencingOperationACI',
    'EnvironmentChangeEvent', 'EnvironmentReadEvent', 'DataLabelChangeEvent', 'DataLabelReadEvent',
    'DataSetChangeEvent', 'DataSetReadEvent', 'DataStoreChangeEvent', 'DataStoreReadEvent',
    'PipelineChangeEvent', 'PipelineReadEvent', 'RunEvent', 'RunReadEvent',
  ],
  schema,
  toEvent(r, category) {
    const props = obj(r.properties);
    const details: Details = {};
    for (const [key, ...names] of DETAIL_KEYS) {
      const v = str(pick(props, ...names));
      if (v !== null) details[key] = key === 'error' ? v.slice(0, 500) : v;
    }
    details.result_type = str(r.resultType);
    details.level = str(r.level);
    details.duration_ms = num(r.durationMs);

    const signature = str(r.resultSignature);
    return {
      time: r.time,
      category,
      operation: str(r.operationName) ?? str(pick(props, 'OperationName')) ?? 'unknown',
      result: resultOf(r, props),
      status_code: signature,
      ...principalOf(r.identity ?? pick(props, 'Identity'), props),
      auth_type: null,
      caller_ip: stripPort(r.callerIpAddress),
      resource_id: splitResourceId(r.resourceId).resource_id,
      target: targetOf(category, props),
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: str(r.correlationId) ?? str(pick(props, 'CorrelationId')),
      details,
    };
  },
});
