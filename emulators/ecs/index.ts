/**
 * ECS API emulator: answers the real `@alicloud/ecs20140526` SDK for DescribeImages,
 * DescribeImageSharePermission, ModifyImageSharePermission and DeleteImage — and, on the same
 * endpoint, Resource Sharing, Resource Manager's directory reads and STS AssumeRole — plus admin routes.
 */
import type { AddressInfo } from 'node:net';
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
  const server = emulator.server;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `${shownHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; don't let them hold the close open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export { EcsEmulator, type EcsEmulatorOptions } from './server.js';
