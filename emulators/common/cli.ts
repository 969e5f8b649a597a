/** What the emulators' command lines share: failing with exit code 2, explaining a failed listen, stopping on a signal. */

/** Explains the problem on stderr and exits with code 2 (bad arguments, port taken). */
export function exitWithUsageError(service: string, message: string): never {
  process.stderr.write(`${service} emulator: ${message}\n`);
  process.exit(2);
}

/** Why listening on `host:port` failed, in words a user can act on. */
export function listenFailure(error: unknown, port: number, host: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is already in use; pick another --port (0 picks a free one)`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `cannot listen on host ${host}`;
  if (code === 'EACCES') return `not allowed to listen on port ${port}`;
  return `cannot start: ${(error as Error).message}`;
}

/** Serves until SIGINT or SIGTERM, then closes and exits 0 (1 if closing failed). */
export function closeOnSignal(close: () => Promise<void>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
