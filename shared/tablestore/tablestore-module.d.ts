// The `tablestore` package ships no type declarations; sdk.ts gives it the narrow shape this project uses.
declare module 'tablestore';
