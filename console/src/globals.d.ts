/** operationId → the roles allowed to call it, read from the route tables when the console is built. */
declare const __OPERATION_ROLES__: Readonly<Record<string, readonly string[]>>;
