// One error factory for the emulator: the real OTS codes with their HTTP statuses.

export class OtsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'OtsError';
  }
}

export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  OTSConditionCheckFail: 403,
  OTSObjectNotExist: 404,
  OTSObjectAlreadyExist: 409,
  OTSParameterInvalid: 400,
  OTSMissingHeader: 400,
  OTSOutOfColumnCountLimit: 400,
  OTSOutOfRowSizeLimit: 400,
  OTSAuthFailed: 403,
  OTSQuotaExhausted: 403,
  OTSMethodNotAllowed: 405,
  OTSRequestBodyTooLarge: 413,
  OTSRequestTimeout: 408,
  OTSServerBusy: 503,
  OTSPartitionUnavailable: 503,
  OTSServerUnavailable: 503,
  OTSTableNotReady: 404,
  OTSRowOperationConflict: 409,
  OTSNotEnoughCapacityUnit: 403,
  OTSCapacityUnitExhausted: 403,
  OTSInternalServerError: 500,
  OTSUnsupportOperation: 400,
  OTSNoPermissionAccess: 403,
  OTSOperationThrottled: 403,
  OTSTimeout: 503,
};

export const errors = {
  parameterInvalid: (message: string) => new OtsError('OTSParameterInvalid', message, 400),
  conditionCheckFail: () => new OtsError('OTSConditionCheckFail', 'Condition check failed.', 403),
  tableNotExist: () => new OtsError('OTSObjectNotExist', 'Requested table does not exist.', 404),
  tableAlreadyExist: () => new OtsError('OTSObjectAlreadyExist', 'Requested table already exists.', 409),
  authFailed: (message: string) => new OtsError('OTSAuthFailed', message, 403),
  missingHeader: (header: string) => new OtsError('OTSMissingHeader', `Missing header: '${header}'.`, 400),
  methodNotAllowed: () => new OtsError('OTSMethodNotAllowed', 'Only POST method for requests is supported.', 405),
  bodyTooLarge: () => new OtsError('OTSRequestBodyTooLarge', 'The size of POST data is too large.', 413),
  unsupportedOperation: (op: string) =>
    new OtsError('OTSUnsupportOperation', `Unsupported operation: '${op}'.`, 400),
  quotaExhausted: (message: string) => new OtsError('OTSQuotaExhausted', message, 403),
  internal: () => new OtsError('OTSInternalServerError', 'Internal server error.', 500),
  injected: (code: string, status: number, message?: string) =>
    new OtsError(code, message ?? DEFAULT_MESSAGES[code] ?? `Injected fault ${code}.`, status),
};

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  OTSServerBusy: 'Service is busy.',
  OTSRowOperationConflict: 'Data is being modified by the other request.',
  OTSPartitionUnavailable: 'The partition is not available.',
  OTSTableNotReady: 'The table is not ready.',
  OTSInternalServerError: 'Internal server error.',
  OTSConditionCheckFail: 'Condition check failed.',
  OTSRequestTimeout: 'Request timeout.',
  OTSTimeout: 'Operation timeout.',
  OTSNotEnoughCapacityUnit: 'Remaining capacity unit is not enough.',
};
