/** The ajv instance the ECS emulator's admin bodies are compiled with (once, at load), and the fragments they share. */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

export const compileSchema = (schema: object): ValidateFunction => ajv.compile(schema);

export const ACCOUNT_ID = { type: 'string', pattern: '^[0-9]{16}$' } as const;
export const REGION_ID = { type: 'string', pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 64 } as const;
export const IMAGE_ID = { type: 'string', pattern: '^m-[a-z0-9]{8,40}$' } as const;
