// `@alicloud/openapi-core` and `@darabonba/typescript`: the one module that loads them. rpc.ts imports
// it on the first call an adapter makes, so an instance whose first request makes no Alibaba Cloud
// RPC call (a status read, a listing, the console) does not load the SDK at cold start.
import * as openapiCoreNs from '@alicloud/openapi-core';
import * as daraNs from '@darabonba/typescript';
import { commonJs } from '../commonjs.js';

const openapiCore = commonJs(openapiCoreNs);
export const dara = commonJs(daraNs);
export const OpenApiClient = openapiCore.default;
export const { $OpenApiUtil, OpenApiUtil } = openapiCore;

/** The `Params` a generated `<op>WithOptions` method passes to `callApi` for an RPC action. */
export function rpcParams(action: string, version: string, protocol: 'https' | 'http'): InstanceType<typeof $OpenApiUtil.Params> {
  return new $OpenApiUtil.Params({
    action,
    version,
    protocol: protocol.toUpperCase(),
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
}
