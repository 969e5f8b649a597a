// JSON-schema validators, declared in groups. A group names its schemas and the ajv profile that
// reads them; `validatorsOf(group)` gives its validators, each compiled once per instance.
//
// Where they are compiled: from the source (tests, tsx), by ajv the first time a schema is used
// (./compile.ts); in a function bundle, at build time — scripts/build.ts replaces ./compile.ts with
// ajv's standalone code for exactly the groups and schemas that function uses
// (scripts/precompile-validators.ts), so no ajv compiler is loaded or run at cold start. Both come
// from the same schemas and the same options (./profiles.ts).
import { compileGroup } from './compile.js';
import type { Validate, ValidatorGroup } from './profiles.js';

export { validatorGroup, type JsonSchema, type Validate, type ValidationError, type ValidatorGroup } from './profiles.js';

/**
 * The validators of a group, by schema name; each is compiled (from the source) on first access.
 * Reading one the group lacks — or, in a bundle, one the function was not built with — throws: a
 * programming error, never a client's.
 */
export function validatorsOf<K extends string>(group: ValidatorGroup<K>): Readonly<Record<K, Validate>> {
  const compiled = compileGroup(group);
  const table = {} as Record<K, Validate>;
  for (const name of Object.keys(group.schemas) as K[]) {
    Object.defineProperty(table, name, {
      enumerable: true,
      get: () => {
        const validate = compiled(name);
        if (!validate) throw new Error(`The validator ${group.name}/${name} is not part of this build`);
        return validate;
      },
    });
  }
  return Object.freeze(table);
}
