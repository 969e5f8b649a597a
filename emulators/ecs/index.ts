/**
 * ECS API emulator: answers the real `@alicloud/ecs20140526` SDK for DescribeImages,
 * DescribeImageSharePermission, ModifyImageSharePermission and DeleteImage — and, on the same
 * endpoint, Resource Sharing, Resource Manager's directory reads and STS AssumeRole — plus admin routes.
 */
import { closer, listen } from '../common/http.js';
import { EcsEmulator, type EcsEmulatorOptions } from './server.js';

export interface StartEcsEmulatorOptions extends EcsEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
}

export interface RunningEcsEmulator {
  /** `host:port` without a scheme, the form the ECS SDK's `endpoint` expects. */
  endpoint: string;
  close(): Promise<void>;
}

export async function startEcsEmulator(options: StartEcsEmulatorOptions = {}): Promise<RunningEcsEmulator> {
  const emulator = new EcsEmulator(options);
  const endpoint = await listen(emulator.server, options.port ?? 0, options.host ?? '127.0.0.1');
  return { endpoint, close: closer(emulator.server) };
}

export { EcsEmulator, type EcsEmulatorOptions } from './server.js';
