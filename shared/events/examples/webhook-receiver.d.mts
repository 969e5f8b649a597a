// Types for the receiver example, so the tests that run it are type-checked too.
import type { Server } from 'node:http';

export function verifySignature(secret: string, header: string | undefined, rawBody: string, nowSeconds?: number): boolean;
export function createReceiver(secret: string, handle: (event: unknown) => unknown, seen?: Set<unknown>): Server;
