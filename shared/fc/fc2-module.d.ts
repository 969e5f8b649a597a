// @alicloud/fc2 ships no types; the invoker declares the small part it uses.
declare module '@alicloud/fc2' {
  const Client: unknown;
  export default Client;
}
