// The RAM policies under deploy/: each grants exactly the actions its callers use (deploy/ram-actions.ts
// collects the lists the adapters export and what `s deploy` calls), on this project's resources only.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_ACTIONS } from '../../deploy/ram-actions.js';
import { FUNCTIONS } from '../../functions/registry.js';
import { RESOURCE_MANAGER_ACTIONS, RESOURCE_SHARING_ACTIONS } from '../../shared/directory/index.js';
import { ECS_ACTIONS } from '../../shared/ecs/index.js';
import { EVENTBRIDGE_ACTIONS } from '../../shared/events/eventbridge.js';
import { OPEN_INDEX_BACKFILL } from '../../shared/tablestore/open-index.js';
import { STORE_OPERATIONS } from '../../shared/tablestore/sdk.js';
import { tableDefinitions } from '../../shared/tablestore/tables.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: unknown;
}
const statements = (file: string): Statement[] => (JSON.parse(readFileSync(join(DEPLOY, file), 'utf8')) as { Statement: Statement[] }).Statement;
const actionsOf = (file: string): string[] => statements(file).flatMap((s) => s.Action);
const statementWith = (file: string, action: string): Statement => statements(file).find((s) => s.Action.includes(action))!;
// Each table the store uses, named; a prefix wildcard would also grant other tables that share the prefix.
const tableArn = (name: string): string => `acs:ots:\${TABLESTORE_REGION}:\${ACCOUNT_ID}:instance/\${TABLESTORE_INSTANCE}/table/\${TABLE_PREFIX}${name}`;
const TABLE_ARNS = tableDefinitions().map((t) => tableArn(t.name));
const fcArn = (name: string): string => `acs:fc:\${FC_REGION}:\${ACCOUNT_ID}:functions/${name}`;
const reconciler = FUNCTIONS.find((f) => f.resource === 'reconcile')!.functionName;

describe('deploy/ RAM policies', () => {
  const permissionPolicies = readdirSync(DEPLOY).filter((f) => f.startsWith('ram-policy') && f.endsWith('.json'));

  it('are each accounted for in deploy/ram-actions.ts', () => {
    expect(permissionPolicies.sort()).toEqual(Object.keys(POLICY_ACTIONS).sort());
  });

  it.each(Object.keys(POLICY_ACTIONS))('%s grants exactly the actions its callers use, each once, none by wildcard', (file) => {
    const granted = actionsOf(file);
    expect([...granted].sort()).toEqual([...new Set(POLICY_ACTIONS[file])].sort());
    expect(new Set(granted).size).toBe(granted.length);
    expect(granted.filter((a) => a.includes('*'))).toEqual([]);
    expect(statements(file).every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('derive from lists that name no call the code does not make', () => {
    // The client types admit no call outside the lists (tsc); here, each listed call is made.
    const source = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
    for (const op of STORE_OPERATIONS) expect(source('shared/tablestore/store.ts'), op).toMatch(new RegExp(`\\.${op[0]!.toLowerCase()}${op.slice(1)}\\(`));
    for (const action of ECS_ACTIONS) expect(source('shared/ecs/sdk.ts'), action).toContain(`this.call(regionId, '${action}'`);
    for (const action of RESOURCE_SHARING_ACTIONS) expect(source('shared/directory/directory-port.ts'), action).toContain(`'${action}'`);
    for (const action of RESOURCE_MANAGER_ACTIONS) expect(source('shared/directory/directory-port.ts'), action).toContain(`api.resourceManager('${action}'`);
  });

  it('name only placeholders deploy/README.md explains', () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const file of permissionPolicies) {
      for (const [, name] of readFileSync(join(DEPLOY, file), 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)) expect(readme, `${file} \${${name}}`).toContain(`\`\${${name}}\``);
    }
  });
});

describe('deploy/ram-policy.json (the functions role)', () => {
  it('scopes Tablestore to the service tables and FC to the reconciler', () => {
    expect(statementWith('ram-policy.json', 'ots:GetRow').Resource).toEqual(TABLE_ARNS);
    expect(statementWith('ram-policy.json', 'fc:InvokeFunction').Resource).toEqual([fcArn(reconciler)]);
  });

  it('keeps table setup out of the function role; the tables policy covers the same tables, and indexing open requests only its two', () => {
    expect(actionsOf('ram-policy.json').filter((a) => /CreateTable|DeleteTable|UpdateTable|DescribeTable/.test(a))).toEqual([]);
    expect(statementWith('ram-policy-tables.json', 'ots:CreateTable').Resource).toEqual(TABLE_ARNS);
    for (const { operation, table } of OPEN_INDEX_BACKFILL) {
      expect(statementWith('ram-policy-tables.json', `ots:${operation}`)).toMatchObject({ Action: [`ots:${operation}`], Resource: [tableArn(table)] });
    }
  });
});

describe('deploy/ RAM policies of the directory channel', () => {
  it('assume exactly the configured reader role, which trusts exactly the functions role', () => {
    expect(statements('ram-policy-directory-assume.json')).toEqual([
      { Sid: 'AssumeTheDirectoryReader', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['${DIRECTORY_READER_ROLE_ARN}'] },
    ]);
    const trust = JSON.parse(readFileSync(join(DEPLOY, 'ram-trust-policy-directory-reader.json'), 'utf8')) as { Statement: unknown[] };
    expect(trust.Statement).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::${ACCOUNT_ID}:role/${FC_ROLE_NAME}'] } }]);
  });

  it('keep the directory reads out of the functions role: they are granted to whoever reads the directory', () => {
    expect(actionsOf('ram-policy.json').filter((a) => a.startsWith('resourcemanager:') || a.startsWith('sts:'))).toEqual([]);
    expect(actionsOf('ram-policy-directory-reader.json').every((a) => a.startsWith('resourcemanager:Get'))).toBe(true);
  });
});

describe('deploy/ram-policy-eventbridge.json (the functions role, with the EventBridge sink)', () => {
  it('lets the functions put events on the one configured bus, nothing else', () => {
    expect(statements('ram-policy-eventbridge.json')).toEqual([
      {
        Sid: 'PublishAuditEvents',
        Effect: 'Allow',
        Action: ['eventbridge:PutEvents'],
        Resource: ['acs:eventbridge:${EVENTBRIDGE_REGION}:${ACCOUNT_ID}:eventbus/${EVENTBRIDGE_BUS}'],
      },
    ]);
  });

  it('derives from the calls the sink makes', () => {
    const source = readFileSync(join(ROOT, 'shared/events/eventbridge.ts'), 'utf8');
    for (const action of EVENTBRIDGE_ACTIONS) expect(source, action).toMatch(new RegExp(`\\.${action[0]!.toLowerCase()}${action.slice(1)}\\(`));
  });
});

describe('deploy/ram-policy-deployer.json (whoever runs s deploy)', () => {
  const file = 'ram-policy-deployer.json';

  it('deploys exactly the functions of the registry and their triggers, and the async config of the reconciler only', () => {
    expect(statementWith(file, 'fc:CreateFunction').Resource).toEqual(FUNCTIONS.map((f) => fcArn(f.functionName)));
    expect(statementWith(file, 'fc:CreateTrigger').Resource).toEqual(FUNCTIONS.map((f) => `${fcArn(f.functionName)}/triggers/*`));
    expect(statementWith(file, 'fc:PutAsyncInvokeConfig').Resource).toEqual([fcArn(reconciler)]);
  });

  it('passes the one function role, and grants "*" only where the action has no resource level', () => {
    expect(statementWith(file, 'ram:PassRole').Resource).toEqual(['acs:ram::${ACCOUNT_ID}:role/${FC_ROLE_NAME}']);
    const wide = statements(file).filter((s) => s.Resource.includes('*'));
    expect(wide.map((s) => s.Action)).toEqual([['fc:GetTempBucketToken'], ['ram:CreateServiceLinkedRole']]);
    // Service-linked roles of EventBridge only.
    expect(statementWith(file, 'ram:CreateServiceLinkedRole').Condition).toEqual({ StringLike: { 'ram:ServiceName': ['*.eventbridge.aliyuncs.com'] } });
  });

  it('touches only the log project fc3 creates for logConfig: auto', () => {
    expect(statementWith(file, 'log:CreateProject').Resource).toEqual([
      'acs:log:${FC_REGION}:${ACCOUNT_ID}:project/serverless-${FC_REGION}-*',
      'acs:log:${FC_REGION}:${ACCOUNT_ID}:project/serverless-${FC_REGION}-*/logstore/*',
    ]);
  });
});
