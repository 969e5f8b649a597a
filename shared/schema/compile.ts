// The validators of a group compiled by ajv at run time, each schema the first time it is used. Only
// the source runs this file: a function bundle carries ajv's standalone code in its place (see
// ./validators.ts), generated from the same profiles.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { AJV_OPTIONS, DOCUMENTATION_KEYWORDS, PROFILES, type ProfileName, type Validate, type ValidatorGroup } from './profiles.js';

/** One ajv instance per profile, made on first use. */
const instances = new Map<ProfileName, Ajv>();

export function ajvFor(profile: ProfileName, extra: { code?: { source: boolean; esm: boolean } } = {}): Ajv {
  const { formats, ...options } = PROFILES[profile];
  const ajv = new Ajv({ ...AJV_OPTIONS, ...options, ...extra });
  if (formats.length > 0) addFormats(ajv, [...formats]);
  ajv.addVocabulary([...DOCUMENTATION_KEYWORDS]);
  return ajv;
}

export function compileGroup<K extends string>(group: ValidatorGroup<K>): (name: K) => Validate | undefined {
  const compiled = new Map<K, ValidateFunction>();
  return (name) => {
    let validate = compiled.get(name);
    if (validate) return validate;
    const schema = Object.hasOwn(group.schemas, name) ? group.schemas[name] : undefined;
    if (schema === undefined) return undefined;
    let ajv = instances.get(group.profile);
    if (!ajv) instances.set(group.profile, (ajv = ajvFor(group.profile)));
    validate = ajv.compile(schema);
    compiled.set(name, validate);
    return validate;
  };
}
