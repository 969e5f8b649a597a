/**
 * The emulated Resource Manager directory reads (2020-03-31) and STS AssumeRole (2015-04-01), driven
 * by the real `@alicloud/openapi-core` client over HTTP in both signing modes: folder tree, members,
 * ResourceDirectoryPath, PageNumber/PageSize paging, temporary keys and their expiry, error codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RpcCaller, rpcCaller, sdkErrorOf } from '../support/ecs.js';
import {
  DEV_MEMBER,
  DIRECTORY,
  DIRECTORY_ID,
  type DirectoryStack,
  FOLDERS,
  MANAGEMENT,
  OUTSIDER,
  type TestAccount,
  WEB_MEMBER,
  startDirectoryStack,
} from '../support/directory.js';

let stack: DirectoryStack;

beforeEach(async () => {
  stack = await startDirectoryStack();
});

afterEach(async () => {
  await stack.emulator.close();
});

const rm = (account: TestAccount, signing: 'acs3' | 'v2' = 'acs3') => rpcCaller(stack.emulator.endpoint, 'ResourceManager', account.key, { signing });
const sts = (account: TestAccount, signing: 'acs3' | 'v2' = 'acs3') => rpcCaller(stack.emulator.endpoint, 'Sts', account.key, { signing });

type Row = Record<string, unknown>;
const folderIds = (body: Row) => ((body['Folders'] as { Folder: Row[] }).Folder ?? []).map((folder) => folder['FolderId']);
const accountIds = (body: Row) => ((body['Accounts'] as { Account: Row[] }).Account ?? []).map((account) => account['AccountId']);

describe.each(['acs3', 'v2'] as const)('Resource Manager emulator through the SDK (%s signing)', (signing) => {
  it('tells any member which directory it is in', async () => {
    // Act
    const body = await rm(WEB_MEMBER, signing).call('GetResourceDirectory');

    // Assess
    expect(body['ResourceDirectory']).toEqual({
      ResourceDirectoryId: DIRECTORY_ID,
      RootFolderId: stack.rootFolderId,
      MasterAccountId: MANAGEMENT.accountId,
      MasterAccountName: `account-${MANAGEMENT.accountId}`,
      CreateTime: expect.any(String),
      ControlPolicyStatus: 'Disabled',
      MemberDeletionStatus: 'Disabled',
      IdentityInformation: '',
    });
    expect(stack.rootFolderId).toMatch(/^r-[A-Za-z0-9]{6}$/);
  });

  it('walks the folder tree one level at a time and places members by ResourceDirectoryPath', async () => {
    // Prepare
    const management = rm(MANAGEMENT, signing);

    // Act
    const top = await management.call('ListFoldersForParent');
    const underProd = await management.call('ListFoldersForParent', { ParentFolderId: FOLDERS.prod });
    const inRoot = await management.call('ListAccountsForParent', { ParentFolderId: stack.rootFolderId });
    const inWeb = await management.call('ListAccountsForParent', { ParentFolderId: FOLDERS.web });
    const inProd = await management.call('ListAccountsForParent', { ParentFolderId: FOLDERS.prod });
    const account = await management.call('GetAccount', { AccountId: WEB_MEMBER.accountId });
    const folder = await management.call('GetFolder', { FolderId: FOLDERS.web });
    const root = await management.call('GetFolder', { FolderId: stack.rootFolderId });

    // Assess
    expect(folderIds(top)).toEqual([FOLDERS.prod, FOLDERS.dev]);
    expect(top).toMatchObject({ TotalCount: 2, PageNumber: 1, PageSize: 10 });
    expect(folderIds(underProd)).toEqual([FOLDERS.web]);
    expect(accountIds(inRoot)).toEqual([MANAGEMENT.accountId]);
    expect(accountIds(inWeb)).toEqual([WEB_MEMBER.accountId]);
    expect(accountIds(inProd)).toEqual([]);
    expect(account['Account']).toMatchObject({
      AccountId: WEB_MEMBER.accountId,
      FolderId: FOLDERS.web,
      ResourceDirectoryId: DIRECTORY_ID,
      ResourceDirectoryPath: `${DIRECTORY_ID}/${stack.rootFolderId}/${FOLDERS.prod}/${FOLDERS.web}/${WEB_MEMBER.accountId}`,
      Tags: [],
    });
    expect(folder['Folder']).toEqual({
      FolderId: FOLDERS.web,
      FolderName: 'web',
      CreateTime: expect.any(String),
      ParentFolderId: FOLDERS.prod,
      ResourceDirectoryPath: `${DIRECTORY_ID}/${stack.rootFolderId}/${FOLDERS.prod}/${FOLDERS.web}`,
    });
    expect(root['Folder']).toMatchObject({ FolderName: 'root', ParentFolderId: '', ResourceDirectoryPath: `${DIRECTORY_ID}/${stack.rootFolderId}` });
  });
});

describe('Resource Manager emulator: members, paging and refusals', () => {
  it('lists every member with its path, and follows a member that moves or leaves', async () => {
    // Prepare
    const management = rm(MANAGEMENT);

    // Act
    const before = await management.call('ListAccounts');
    await stack.admin.moveMember(WEB_MEMBER.accountId, FOLDERS.dev);
    const moved = await management.call('GetAccount', { AccountId: WEB_MEMBER.accountId });
    await stack.admin.removeMember(DEV_MEMBER.accountId);
    const left = await sdkErrorOf(management.call('GetAccount', { AccountId: DEV_MEMBER.accountId }));
    const after = await management.call('ListAccounts');

    // Assess
    expect(((before['Accounts'] as { Account: Row[] }).Account).map((row) => [row['AccountId'], row['ResourceDirectoryPath']])).toEqual([
      [WEB_MEMBER.accountId, `${DIRECTORY_ID}/${stack.rootFolderId}/${FOLDERS.prod}/${FOLDERS.web}/${WEB_MEMBER.accountId}`],
      [DEV_MEMBER.accountId, `${DIRECTORY_ID}/${stack.rootFolderId}/${FOLDERS.dev}/${DEV_MEMBER.accountId}`],
      [MANAGEMENT.accountId, `${DIRECTORY_ID}/${stack.rootFolderId}/${MANAGEMENT.accountId}`],
    ]);
    expect((moved['Account'] as Row)['ResourceDirectoryPath']).toBe(`${DIRECTORY_ID}/${stack.rootFolderId}/${FOLDERS.dev}/${WEB_MEMBER.accountId}`);
    expect(left).toEqual({ name: 'ClientError', code: 'EntityNotExists.Account', statusCode: 404 });
    expect(accountIds(after)).toEqual([WEB_MEMBER.accountId, MANAGEMENT.accountId]);
  });

  it('pages with PageNumber and PageSize, and filters by QueryKeyword', async () => {
    // Prepare: twelve folders under dev
    const folders = Array.from({ length: 12 }, (_, i) => ({ folderId: `fd-team${String(i).padStart(5, '0')}`, parentFolderId: FOLDERS.dev, name: `team-${i}` }));
    await stack.admin.putResourceDirectory({ ...DIRECTORY, folders: [...(DIRECTORY.folders ?? []), ...folders] });
    const management = rm(MANAGEMENT);
    const page = (query: Record<string, unknown>) => management.call('ListFoldersForParent', { ParentFolderId: FOLDERS.dev, ...query });

    // Act
    const first = await page({ PageSize: 5 });
    const third = await page({ PageSize: 5, PageNumber: 3 });
    const beyond = await page({ PageSize: 5, PageNumber: 4 });
    const keyword = await page({ QueryKeyword: 'TEAM-1' });

    // Assess
    expect(folderIds(first)).toEqual(folders.slice(0, 5).map((folder) => folder.folderId));
    expect(first).toMatchObject({ TotalCount: 12, PageNumber: 1, PageSize: 5 });
    expect(folderIds(third)).toEqual(folders.slice(10).map((folder) => folder.folderId));
    expect(folderIds(beyond)).toEqual([]);
    expect(folderIds(keyword)).toEqual([folders[1]!.folderId, folders[10]!.folderId, folders[11]!.folderId]);
  });

  it.each([
    ['ListFoldersForParent', { ParentFolderId: 'folder-1' }, 'InvalidParameter.ParentFolderId', 400],
    ['ListFoldersForParent', { ParentFolderId: 'fd-missing001' }, 'EntityNotExists.Folder', 404],
    ['ListAccountsForParent', { PageSize: 0 }, 'InvalidParameter.PageSize', 400],
    ['ListAccounts', { PageSize: 101 }, 'InvalidParameter.PageSize', 400],
    ['ListAccounts', { PageNumber: 0 }, 'InvalidParameter.PageNumber', 400],
    ['GetAccount', {}, 'MissingParameter.AccountId', 400],
    ['GetAccount', { AccountId: '12345' }, 'InvalidParameter.AccountId', 400],
    ['GetAccount', { AccountId: OUTSIDER.accountId }, 'EntityNotExists.Account', 404],
    ['GetFolder', {}, 'MissingParameter.FolderId', 400],
    ['GetFolder', { FolderId: 'x-1' }, 'InvalidParameter.FolderId', 400],
    ['GetFolder', { FolderId: 'fd-missing001' }, 'EntityNotExists.Folder', 404],
  ] as const)('answers %s %j with %s', async (action, query, code, status) => {
    // Act
    const error = await sdkErrorOf(rm(MANAGEMENT).call(action, query));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code, statusCode: status });
  });

  it('answers a member for the tree and the members as an account without a directory, and an outsider for the directory', async () => {
    // Act
    const actions = ['ListFoldersForParent', 'ListAccountsForParent', 'ListAccounts', 'GetFolder'];
    const member = await Promise.all(actions.map((action) => sdkErrorOf(rm(WEB_MEMBER).call(action, { FolderId: FOLDERS.web }))));
    const outsider = await sdkErrorOf(rm(OUTSIDER).call('GetResourceDirectory'));

    // Assess
    expect(member.map((error) => [error.code, error.statusCode])).toEqual(Array(4).fill(['EntityNotExists.ResourceDirectory', 404]));
    expect(outsider).toEqual({ name: 'ClientError', code: 'ResourceDirectoryNotInUse', statusCode: 404 });
  });
});

describe.each(['acs3', 'v2'] as const)('STS emulator: AssumeRole through the SDK (%s signing)', (signing) => {
  let roleArn: string;

  beforeEach(async () => {
    roleArn = await stack.admin.addRole({
      accountId: MANAGEMENT.accountId,
      roleName: 'DirectoryReader',
      trustedAccountIds: [WEB_MEMBER.accountId],
      maxSessionDurationSeconds: 7200,
    });
  });

  it('issues a temporary key of the role account that works until its Expiration', async () => {
    // Prepare: the emulator clock runs 10 minutes behind, so it can pass the session's end and
    // still accept the signer's timestamps
    stack.clock.set(new Date(Date.now() - 10 * 60_000));
    const issuedAt = stack.clock.now().getTime();

    // Act
    const body = await sts(WEB_MEMBER, signing).call('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'reader', DurationSeconds: 900 });
    const credentials = body['Credentials'] as { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string };
    const issued = { accessKeyId: credentials.AccessKeyId, accessKeySecret: credentials.AccessKeySecret, securityToken: credentials.SecurityToken };
    const session = rpcCaller(stack.emulator.endpoint, 'ResourceManager', issued, { signing });
    const asRole = await session.call('GetAccount', { AccountId: WEB_MEMBER.accountId });
    stack.clock.advance(900 * 1000 + 1);
    const expired = await sdkErrorOf(session.call('GetAccount', { AccountId: WEB_MEMBER.accountId }));

    // Assess
    expect(roleArn).toBe(`acs:ram::${MANAGEMENT.accountId}:role/directoryreader`);
    expect(credentials.AccessKeyId).toMatch(/^STS\./);
    expect(credentials.Expiration).toBe(`${new Date(issuedAt + 900 * 1000).toISOString().slice(0, 19)}Z`);
    expect(body['AssumedRoleUser']).toEqual({
      Arn: `acs:ram::${MANAGEMENT.accountId}:assumed-role/directoryreader/reader`,
      AssumedRoleId: expect.stringMatching(/^\d{17}:reader$/),
    });
    expect((asRole['Account'] as Row)['AccountId']).toBe(WEB_MEMBER.accountId);
    expect(expired).toEqual({ name: 'ClientError', code: 'InvalidSecurityToken.Expired', statusCode: 400 });
  });

  it.each([
    ['a malformed role ARN', 'InvalidParameter.RoleArn', 400, { RoleArn: 'role/reader' }],
    ['a one-character session name', 'InvalidParameter.RoleSessionName', 400, { RoleSessionName: 'r' }],
    ['a session under 900 s', 'InvalidParameter.DurationSeconds', 400, { DurationSeconds: 899 }],
    ['a session past the role maximum', 'InvalidParameter.DurationSeconds', 400, { DurationSeconds: 7201 }],
    ['a policy that is not JSON', 'InvalidParameter.PolicyGrammar', 400, { Policy: '{not json' }],
    ['a policy of 1 KB', 'InvalidParameter.PolicySize', 400, { Policy: JSON.stringify({ Statement: 'x'.repeat(1024) }) }],
    ['an unknown role', 'EntityNotExist.Role', 404, { RoleArn: `acs:ram::${MANAGEMENT.accountId}:role/nobody` }],
  ] as const)('answers %s with %s', async (_name, code, status, change) => {
    // Act
    const error = await sdkErrorOf(sts(WEB_MEMBER, signing).call('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'reader', ...change }));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code, statusCode: status });
  });

  it('refuses a caller of an account the role does not trust', async () => {
    // Act
    const error = await sdkErrorOf(sts(DEV_MEMBER, signing).call('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'reader' }));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code: 'NoPermission', statusCode: 403 });
  });
});
