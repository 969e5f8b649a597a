// What a group of JSON schemas is, and the ajv profiles that read them: data only, shared by the
// run-time compiler (./compile.ts) and the build-time one (scripts/precompile-validators.ts).

export type JsonSchema = Record<string, unknown>;

/** ajv's error object, as much of it as the callers read. */
export interface ValidationError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** A compiled schema: true when `data` matches; the errors of the last failed call otherwise. */
export interface Validate {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

/**
 * How ajv reads a group's schemas. Always strict, never `removeAdditional`, never defaults; `example`
 * is a documentation keyword. `coerceTypes` only where values arrive as strings (query, path).
 */
export const PROFILES = {
  /** Request bodies: as sent, every error reported. */
  body: { allErrors: true, coerceTypes: false, formats: ['date-time'] },
  /** Query and path values (strings on the wire): "20" → 20, "false" → false, and nothing else. */
  string: { allErrors: true, coerceTypes: true, formats: ['date-time'] },
  /** The environment: the first error, named after its variable. */
  config: { allErrors: false, coerceTypes: false, formats: [] },
  /** Platform events and our own task payloads. */
  platform: { allErrors: true, coerceTypes: false, formats: [] },
} as const satisfies Record<string, { allErrors: boolean; coerceTypes: boolean; formats: readonly string[] }>;

export type ProfileName = keyof typeof PROFILES;

/** The options every profile shares, as ajv takes them. */
export const AJV_OPTIONS = { strict: true, useDefaults: false, removeAdditional: false, allowUnionTypes: true } as const;
export const DOCUMENTATION_KEYWORDS = ['example'] as const;

export interface ValidatorGroup<K extends string = string> {
  /** Unique across the project: the precompiled bundle code is keyed by it. */
  readonly name: string;
  readonly profile: ProfileName;
  readonly schemas: Readonly<Record<K, JsonSchema>>;
}

export const validatorGroup = <K extends string>(name: string, profile: ProfileName, schemas: Readonly<Record<K, JsonSchema>>): ValidatorGroup<K> => ({
  name,
  profile,
  schemas,
});

