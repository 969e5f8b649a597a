/**
 * AssumeRole: a caller of an account the role trusts gets a temporary key of the role's account
 * (`STS.…`, a secret and a security token) that the gateway accepts until its Expiration.
 */
import { ALPHANUMERIC, randomId } from '../ids.js';
import type { Operation } from '../operation.js';
import { ecsTime } from '../store.js';
import { stsErrors } from './errors.js';

const ROLE_ARN = /^acs:ram::\d{16}:role\/[A-Za-z0-9.@_-]{1,64}$/;
const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
const MIN_DURATION_SECONDS = 900;
const MAX_POLICY_BYTES = 1024;

export const assumeRole: Operation = (context) => {
  const { params, roles, store, now } = context;
  const roleArn = params['RoleArn'] ?? '';
  if (!ROLE_ARN.test(roleArn)) throw stsErrors.invalidParameter('RoleArn', 'Expected acs:ram::<account id>:role/<role name>.');
  const sessionName = params['RoleSessionName'] ?? '';
  if (!SESSION_NAME.test(sessionName)) throw stsErrors.invalidParameter('RoleSessionName', 'Use 2 to 64 letters, digits and . @ - _.');
  const policy = params['Policy'];
  if (policy !== undefined && policy !== '') {
    if (Buffer.byteLength(policy, 'utf8') >= MAX_POLICY_BYTES) throw stsErrors.policySize();
    try {
      JSON.parse(policy);
    } catch {
      throw stsErrors.policyGrammar();
    }
  }
  const role = roles.find(roleArn);
  if (!role) throw stsErrors.roleNotFound(roleArn);
  const rawDuration = params['DurationSeconds'];
  const duration = rawDuration === undefined || rawDuration === '' ? 3600 : Number(rawDuration);
  if (!Number.isInteger(duration) || duration < MIN_DURATION_SECONDS || duration > role.maxSessionDurationSeconds) {
    throw stsErrors.invalidParameter('DurationSeconds', `Expected an integer from ${MIN_DURATION_SECONDS} to ${role.maxSessionDurationSeconds}.`);
  }
  if (!role.trustedAccountIds.has(context.accountId)) throw stsErrors.noPermission(role.roleArn);

  const expiresAtMs = now().getTime() + duration * 1000;
  const key = {
    accessKeyId: randomId('STS.', 24),
    accessKeySecret: randomId('', 32),
    securityToken: randomId('CAIS', 64, `${ALPHANUMERIC}+/`),
    expiresAtMs,
  };
  store.upsertAccount(role.accountId, [key]);
  return {
    Credentials: {
      AccessKeyId: key.accessKeyId,
      AccessKeySecret: key.accessKeySecret,
      SecurityToken: key.securityToken,
      Expiration: ecsTime(new Date(expiresAtMs)),
    },
    AssumedRoleUser: {
      Arn: `acs:ram::${role.accountId}:assumed-role/${role.roleName.toLowerCase()}/${sessionName}`,
      AssumedRoleId: `${randomId('3', 16, '0123456789')}:${sessionName}`,
    },
  };
};
