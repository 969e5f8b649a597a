// The sinks the configuration enables, each loaded on its first delivery: a function whose
// configuration names no sink loads no sink code at all, and one that does pays for its sink (the
// EventBridge SDK) only once there is something to deliver. The settings were checked by loadConfig.
import type { Config } from '../config.js';
import type { CredentialsSource } from '../credentials.js';
import type { Clock } from '../domain/ports.js';
import type { SinkName } from '../domain/model.js';
import type { EventSink } from './sink.js';

/** A sink whose module is imported when it first delivers; a failed import is retried on the next delivery. */
function lazySink(name: SinkName, target: string, load: () => Promise<EventSink>): EventSink {
  let loading: Promise<EventSink> | undefined;
  return {
    name,
    target,
    async deliver(events) {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return (await loading).deliver(events);
    },
  };
}

/** The configured sinks; the webhook signs with `clock`, EventBridge asks `credentials` before each request. */
export function configuredSinks(events: Config['events'], credentials: CredentialsSource, clock: Clock): EventSink[] {
  const sinks: EventSink[] = [];
  const { webhook, eventbridge } = events;
  if (webhook) {
    sinks.push(lazySink('webhook', webhook.target, async () => (await import('./webhook.js')).createWebhookSink({ ...webhook, clock })));
  }
  if (eventbridge) {
    sinks.push(lazySink('eventbridge', eventbridge.target, async () => (await import('./eventbridge.js')).createEventBridgeSink({ ...eventbridge, credentials })));
  }
  return sinks;
}
