// The SDK's own protobuf definitions (pbjs static module), loaded once.
import { createRequire } from 'node:module';

export interface ProtoType {
  decode(buf: Uint8Array): any;
  encode(message: any): { finish(): Uint8Array };
  create(properties?: any): any;
}

interface CompiledProto {
  main: { proto: Record<string, ProtoType> & Record<string, any> };
  filter: { proto: Record<string, ProtoType> & Record<string, any> };
}

const require = createRequire(import.meta.url);
const compiled = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as CompiledProto;

export const mainProto = compiled.main.proto;
export const filterProto = compiled.filter.proto;

export function messageType(name: string): ProtoType {
  const t = mainProto[name];
  if (!t || typeof (t as ProtoType).decode !== 'function') throw new Error(`unknown protobuf message ${name}`);
  return t as ProtoType;
}

/** int64 fields decode as number or Long depending on the environment. */
export function toNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number(v);
}

export function encodeMessage(typeName: string, message: object): Buffer {
  const t = messageType(typeName);
  const bytes = t.encode(t.create(message)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeError(code: string, message: string): Buffer {
  return encodeMessage('Error', { code, message });
}
