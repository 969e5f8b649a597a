/** The one error factory of the emulated STS API. */
import { ApiError } from '../errors.js';

export const stsErrors = {
  invalidParameter: (name: string, detail: string) => new ApiError(400, `InvalidParameter.${name}`, `The parameter ${name} is invalid. ${detail}`),
  policyGrammar: () => new ApiError(400, 'InvalidParameter.PolicyGrammar', 'The parameter Policy has not a valid JSON grammar.'),
  policySize: () => new ApiError(400, 'InvalidParameter.PolicySize', 'The size of Policy must be smaller than 1024 bytes.'),
  noPermission: (roleArn: string) =>
    new ApiError(403, 'NoPermission', `You are not authorized to do this action. The role ${roleArn} does not trust your account.`),
  roleNotFound: (roleArn: string) => new ApiError(404, 'EntityNotExist.Role', `The specified Role not exists: ${roleArn}.`),
} as const;
