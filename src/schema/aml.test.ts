import { describe, expect, it } from 'vitest';
import { amlFamily } from './aml.js';
import { normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords } from './test-support.js';

const records = fixtureRecords('aml', 'workspace.json');

const nth = (category: string, i = 0) => records.filter((r) => r.category === category)[i]!;

const WORKSPACE = '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.machinelearningservices/workspaces/mlw-fabrikam';
const USER = '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const SP = '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968';
const JOB = 'fraud-train_1763082000_5b7c';

describe('aml workspace categories', () => {
  it('maps a submitted compute job whose properties arrive as a JSON string', () => {
    expect(fieldsOf(nth('AmlComputeJobEvent'))).toEqual({
      time: Date.UTC(2025, 10, 14, 6, 0, 0, 100),
      category: 'AmlComputeJobEvent',
      operation: 'Microsoft.MachineLearningServices/workspaces/computes/jobs/submit',
      result: 'start',
      status_code: null,
      principal_id: null,
      principal_name: null,
      app_id: null,
      principal_type: 'unknown',
      auth_type: null,
      caller_ip: null,
      resource_id: WORKSPACE,
      target: JOB,
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: null,
      details: {
        workspace_name: 'mlw-fabrikam',
        event_type: 'JobSubmitted',
        execution_state: 'Queued',
        provisioning_state: 'Succeeded',
        experiment_name: 'fraud-train',
        cluster_name: 'gpu-cluster',
        job_id: '5b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4',
        result_type: null,
        level: null,
        duration_ms: null,
      },
    });
  });

  it('maps a failed job with a US-style time', () => {
    const f = fieldsOf(nth('AmlComputeJobEvent', 1));
    expect(f).toMatchObject({ time: Date.UTC(2025, 10, 14, 6, 42, 10), result: 'failure', target: JOB });
    expect(f.details).toMatchObject({ event_type: 'JobFailed', node_id: 'tvmps_0f1e2d3c4b5a_d', error: 'UserError: process exited with code 137 (out of memory)' });
  });

  it('reads cluster events from single-quoted JSON properties', () => {
    const f = fieldsOf(nth('AmlComputeClusterEvent'));
    expect(f).toMatchObject({ target: 'gpu-cluster', result: 'success', principal_type: 'unknown' });
    expect(f.details).toMatchObject({ vm_size: 'STANDARD_NC24ADS_A100_V4', created_by: 'ada.park@fabrikam-demo.example', event_type: 'ClusterResized' });
    expect(fieldsOf(nth('AmlComputeClusterNodeEvent'))).toMatchObject({ target: 'gpu-cluster', details: { node_id: 'tvmps_0f1e2d3c4b5a_d' } });
  });

  it('reads a run status change: the caller from a string identity, the result from Status', () => {
    expect(fieldsOf(nth('AmlRunStatusChangedEvent'))).toMatchObject({
      result: 'failure', target: JOB, principal_name: 'ada.park@fabrikam-demo.example', principal_type: 'user',
      caller_ip: null, status_code: null, correlation_id: '7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a',
      details: { run_status: 'Failed', duration_ms: 0, workspace_id: '2b3c4d5e-6f70-4819-9a0b-1c2d3e4f5a6b' },
    });
  });

  it('maps a datastore read with short claim keys field by field', () => {
    expect(fieldsOf(nth('DataStoreReadEvent'))).toEqual({
      time: Date.UTC(2025, 10, 14, 6, 10),
      category: 'DataStoreReadEvent',
      operation: 'Microsoft.MachineLearningServices/workspaces/datastores/read',
      result: 'success',
      status_code: '200',
      principal_id: USER,
      principal_name: 'ada.park@fabrikam-demo.example',
      app_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      principal_type: 'user',
      auth_type: null,
      caller_ip: null,
      resource_id: WORKSPACE,
      target: 'workspaceblobstore',
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
      details: {
        workspace_id: '2b3c4d5e-6f70-4819-9a0b-1c2d3e4f5a6b',
        tenant_id: '0f4e2c1a-7b6d-4c3e-8a9f-5d2b1e0c9a87',
        datastore_name: 'workspaceblobstore',
        result_type: 'Succeeded',
        level: 'Informational',
        duration_ms: null,
      },
    });
  });

  it('reads a service principal from URI claim keys, `Success` casing and a denied dataset read', () => {
    expect(fieldsOf(nth('ModelsReadEvent'))).toMatchObject({ principal_id: SP, app_id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', principal_type: 'servicePrincipal', principal_name: null, target: 'fraud-detector' });
    expect(fieldsOf(nth('ModelsChangeEvent'))).toMatchObject({ result: 'success', status_code: '201', details: { result_type: 'Success' } });
    expect(fieldsOf(nth('DataSetReadEvent'))).toMatchObject({ result: 'failure', status_code: '403', target: 'transactions-2025', details: { dataset_id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f' } });
  });

  it('names the target of every asset category', () => {
    const targets = Object.fromEntries(records.filter((r) => !String(r.category).startsWith('Aml')).map((r) => [r.category, fieldsOf(r).target]));
    expect(targets).toEqual({
      DataStoreReadEvent: 'workspaceblobstore',
      DataStoreChangeEvent: 'external-drop',
      ModelsReadEvent: 'fraud-detector',
      ModelsChangeEvent: 'fraud-detector',
      DataSetReadEvent: 'transactions-2025',
      DeploymentEventAKS: 'fraud-scoring',
      InferencingOperationAKS: 'fraud-scoring',
      EnvironmentReadEvent: 'AzureML-sklearn-1.5',
      DataLabelChangeEvent: 'receipt-labels',
      PipelineChangeEvent: 'nightly-retrain',
      ComputeInstanceEvent: 'ci-ada-a100',
      RunReadEvent: JOB,
    });
    expect(fieldsOf(nth('DeploymentEventAKS')).result).toBe('start');
  });

  it('reads every workspace category Azure Monitor lists', () => {
    for (const c of ['AmlComputeClusterEvent', 'AmlComputeClusterNodeEvent', 'AmlComputeJobEvent', 'AmlRunStatusChangedEvent', 'ComputeInstanceEvent',
      'ModelsChangeEvent', 'ModelsReadEvent', 'ModelsActionEvent', 'DeploymentReadEvent', 'DeploymentEventACI', 'DeploymentEventAKS',
      'InferencingOperationAKS', 'InferencingOperationACI', 'EnvironmentChangeEvent', 'EnvironmentReadEvent', 'DataLabelChangeEvent',
      'DataLabelReadEvent', 'DataSetChangeEvent', 'DataSetReadEvent', 'DataStoreChangeEvent', 'DataStoreReadEvent', 'PipelineChangeEvent',
      'PipelineReadEvent', 'RunEvent', 'RunReadEvent']) {
      expect(amlFamily.categories).toContain(c);
    }
  });

  it('rejects a record without a time and tolerates a bare one', () => {
    const { time: _t, ...noTime } = nth('ModelsReadEvent');
    const n = normalizeRecord(noTime);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.reason).toMatch(/ModelsReadEvent.*\btime\b/);
    expect(fieldsOf({ time: '2025-11-14T06:00:00Z', category: 'RunEvent', identity: 'not json, not a name' })).toMatchObject({
      operation: 'unknown', result: 'unknown', target: null, principal_id: null, principal_name: null, principal_type: 'unknown',
    });
  });
});
