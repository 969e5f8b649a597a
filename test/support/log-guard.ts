// A passing `npm test` prints no error-level log line. A test that expects a failure catches the
// line it causes (a capturing logger, `fallbackLog`, a stack's `log`); a line that still reaches
// stdout or stderr fails the test that wrote it. The line is printed all the same, so nothing hides.
import { afterAll, afterEach } from 'vitest';

/** The JSON logger's error level, and the FC runtime's `[ERROR]` function log lines. */
const ERROR_LINE = /"level":"error"|\s\[ERROR\]\s/;

const escaped: string[] = [];

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    for (const line of text.split('\n')) if (ERROR_LINE.test(line)) escaped.push(line.slice(0, 300));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

function check(): void {
  const lines = escaped.splice(0);
  if (lines.length > 0) {
    throw new Error(`${lines.length} error-level log line(s) escaped to the console; capture the ones this test expects:\n${lines.join('\n')}`);
  }
}

afterEach(check);
afterAll(check);
