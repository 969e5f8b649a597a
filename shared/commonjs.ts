// CommonJS interop for the SDK packages (all CommonJS), done the same way wherever one is imported.

/**
 * Native Node ESM (tsx, vitest), and esbuild when it treats the importer as Node ESM ("type":
 * "module"), hand a namespace whose `default` is the whole `module.exports`; esbuild otherwise hands a
 * namespace that already carries the named exports, with `default` = `module.exports.default` (the
 * class). Either way, return `module.exports`.
 */
export function commonJs<T>(ns: T): T {
  const fallback = (ns as { default?: unknown }).default;
  return fallback !== null && typeof fallback === 'object' ? (fallback as T) : ns;
}
