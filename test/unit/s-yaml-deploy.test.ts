// The RAM policies under deploy/: least privilege, and in step with what the code calls.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredFunctions } from '../../emulators/fc/spec.js';
import { tableDefinitions } from '../../shared/tablestore/tables.js';

const ROOT = resolve(import.meta.dirname, '../..');
interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
}
// Each table the store uses, named; a prefix wildcard would also grant other tables that share the prefix.
const TABLE_ARNS = tableDefinitions().map((t) => `acs:ots:\${TABLESTORE_REGION}:\${ACCOUNT_ID}:instance/\${TABLESTORE_INSTANCE}/table/\${TABLE_PREFIX}${t.name}`);
const statements = (file: string): Statement[] => (JSON.parse(readFileSync(join(ROOT, 'deploy', file), 'utf8')) as { Statement: Statement[] }).Statement;

describe('deploy/ram-policy.json', () => {
  const policy = statements('ram-policy.json');
  const actions = policy.flatMap((s) => s.Action).sort();

  it('allows exactly the ECS, Tablestore, FC and log actions the functions use, with no wildcard action', () => {
    expect(actions).toEqual(
      [
        'ecs:DeleteImage',
        'ecs:DescribeImageSharePermission',
        'ecs:DescribeImages',
        'ecs:ModifyImageSharePermission',
        'fc:InvokeFunction',
        'log:PostLogStoreLogs',
        'ots:BatchGetRow',
        'ots:BatchWriteRow',
        'ots:DeleteRow',
        'ots:GetRange',
        'ots:GetRow',
        'ots:PutRow',
        'ots:UpdateRow',
      ].sort(),
    );
    expect(policy.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(actions.some((a) => a.includes('*'))).toBe(false);
  });

  it('scopes Tablestore to the service tables and FC to the reconciler declared in s.yaml', () => {
    const ots = policy.find((s) => s.Action.every((a) => a.startsWith('ots:')))!;
    expect(ots.Resource).toEqual(TABLE_ARNS);
    const fc = policy.find((s) => s.Action.includes('fc:InvokeFunction'))!;
    const reconciler = declaredFunctions(join(ROOT, 's.yaml')).find((f) => f.resource === 'reconcile')!;
    expect(fc.Resource).toEqual([`acs:fc:\${FC_REGION}:\${ACCOUNT_ID}:functions/${reconciler.functionName}`]);
  });

  it('keeps table creation out of the function role', () => {
    expect(actions.filter((a) => /CreateTable|DeleteTable|UpdateTable/.test(a))).toEqual([]);
    const tables = statements('ram-policy-tables.json');
    expect(tables.flatMap((s) => s.Action).sort()).toEqual(['ots:CreateTable', 'ots:DescribeTable', 'ots:GetRow']);
    expect(tables.flatMap((s) => s.Resource)).toEqual(TABLE_ARNS);
  });
});
