/**
 * EventBridge emulator: answers the real `@alicloud/eventbridge` SDK's PutEvents (signature, CloudEvents
 * batch, per-entry results, faults), plus admin routes to create buses and read what each received.
 */
import { closer, listen } from '../common/http.js';
import { EventBridgeEmulator, type EventBridgeEmulatorOptions } from './server.js';

export interface StartEventBridgeEmulatorOptions extends EventBridgeEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
}

export interface RunningEventBridgeEmulator {
  /** `host:port` without a scheme, the form the SDK's `endpoint` expects (it refuses a scheme); use `protocol: 'http'`. */
  endpoint: string;
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  close(): Promise<void>;
}

export async function startEventBridgeEmulator(options: StartEventBridgeEmulatorOptions = {}): Promise<RunningEventBridgeEmulator> {
  const emulator = new EventBridgeEmulator(options);
  const endpoint = await listen(emulator.server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    endpoint,
    accountId: emulator.accountId,
    accessKeyId: emulator.key.accessKeyId,
    accessKeySecret: emulator.key.accessKeySecret,
    close: closer(emulator.server),
  };
}

export { EventBridgeEmulator, type EventBridgeEmulatorOptions, type EventBridgeKey } from './server.js';
