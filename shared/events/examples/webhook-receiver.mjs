// Receiving image-share-governor webhooks: Node alone, no dependency. Deliveries are at-least-once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const REPLAY_WINDOW_SECONDS = 300;

/** True when `x-isg-signature` is this body signed with `secret` within the last five minutes (either way). */
export function verifySignature(secret, header, rawBody, nowSeconds = Math.floor(Date.now() / 1000)) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match || Math.abs(nowSeconds - Number(match[1])) > REPLAY_WINDOW_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

/** `handle(event)` runs once per event id; `seen` must outlive the sender's retries (use a store with expiry). */
export function createReceiver(secret, handle, seen = new Set()) {
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verifySignature(secret, req.headers['x-isg-signature'], body)) return res.writeHead(401).end();
      const id = req.headers['x-isg-delivery'];
      const event = JSON.parse(body);
      if (event.id !== id) return res.writeHead(400).end(); // only the body is signed: the header must name it
      try {
        if (!seen.has(id)) await handle(event);
        seen.add(id);
        res.writeHead(204).end(); // a repeat is acknowledged, not handled again
      } catch {
        res.writeHead(500).end(); // not marked seen: the retry is handled
      }
    });
  });
}
