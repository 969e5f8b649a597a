// Every RAM action the policies under deploy/ may grant, and whose call needs it. Each list is the
// one its caller exports (an adapter's client type accepts no other call), or, for what the code does
// not call itself, a list kept here with its reason; test/unit/ram-policies.test.ts fails when a
// policy grants an action no list names or misses one a list names. A new SDK call is one entry in
// its adapter's list, then one line in the policy.
import { RESOURCE_MANAGER_ACTIONS, RESOURCE_SHARING_ACTIONS, STS_ACTIONS } from '../shared/directory/index.js';
import { ECS_ACTIONS } from '../shared/ecs/index.js';
import { EVENTBRIDGE_ACTIONS } from '../shared/events/eventbridge.js';
import { FC_ACTIONS } from '../shared/fc/invoker.js';
import { OPEN_INDEX_BACKFILL } from '../shared/tablestore/open-index.js';
import { STORE_OPERATIONS, TABLE_SETUP_OPERATIONS } from '../shared/tablestore/sdk.js';

const ram = (service: string, actions: readonly string[]): string[] => actions.map((a) => `${service}:${a}`);

/** Function Compute itself acts with the functions' role: it writes their logs (logConfig: auto). */
const FC_RUNTIME_ACTIONS = ['log:PostLogStoreLogs'];

/**
 * What `s deploy` (the fc3 component) calls for this s.yaml, read from the component's source;
 * deploy/README.md gives the reason for each, and what could not be confirmed.
 */
export const S_DEPLOY_ACTIONS = [
  // functions: read the deployed one, create or update it (with its role, logConfig, initializer)
  'fc:GetFunction',
  'fc:CreateFunction',
  'fc:UpdateFunction',
  // code upload: a temporary OSS bucket token from FC, then a PUT with that token
  'fc:GetTempBucketToken',
  // the HTTP, timer and EventBridge triggers
  'fc:GetTrigger',
  'fc:CreateTrigger',
  'fc:UpdateTrigger',
  // the reconciler's asyncInvokeConfig
  'fc:GetAsyncInvokeConfig',
  'fc:PutAsyncInvokeConfig',
  // a function created or updated with a role: the deployer hands that role to FC
  'ram:PassRole',
  // logConfig: auto: the serverless-<region>-<id> project and its logstore, created once
  'log:GetProject',
  'log:CreateProject',
  'log:GetLogStore',
  'log:CreateLogStore',
  'log:GetIndex',
  'log:CreateIndex',
  // an EventBridge trigger: the service-linked roles EventBridge uses to call FC, created once
  'ram:GetRole',
  'ram:CreateServiceLinkedRole',
];

/**
 * deploy/<policy file> → the actions it must grant, exactly. The directory channel's reads of the
 * resource directory are their own policy: it goes to the functions' role when the image owner is the
 * directory's management account, else to the reader role of the management account, which the
 * functions assume (DIRECTORY_READER_ROLE_ARN) with the assume policy.
 */
export const POLICY_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'ram-policy.json': [
    ...ram('ecs', ECS_ACTIONS),
    ...ram('resourcesharing', RESOURCE_SHARING_ACTIONS),
    ...ram('ots', STORE_OPERATIONS),
    ...ram('fc', FC_ACTIONS),
    ...FC_RUNTIME_ACTIONS,
  ],
  'ram-policy-directory-reader.json': ram('resourcemanager', RESOURCE_MANAGER_ACTIONS),
  'ram-policy-directory-assume.json': ram('sts', STS_ACTIONS),
  'ram-policy-tables.json': [...ram('ots', TABLE_SETUP_OPERATIONS), ...ram('ots', OPEN_INDEX_BACKFILL.map((step) => step.operation))],
  // Attached to the functions' role only when EVENTBRIDGE_ENDPOINT is set: without the sink, nothing is granted.
  'ram-policy-eventbridge.json': ram('eventbridge', EVENTBRIDGE_ACTIONS),
  'ram-policy-deployer.json': S_DEPLOY_ACTIONS,
};
