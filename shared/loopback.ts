// The one rule for when the service may speak plain http: only to its own machine (local emulators, a
// receiver on the same host). Everything that leaves the machine goes over https.

/**
 * True for `localhost`, any address in 127.0.0.0/8 and `::1`. Takes a hostname as WHATWG `URL`
 * yields it (lower-cased, IPv4 normalised so `127.1` and `2130706433` are `127.0.0.1`, IPv6 bracketed).
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
