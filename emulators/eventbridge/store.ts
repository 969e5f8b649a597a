/**
 * In-memory state of the emulated EventBridge: the event buses and, per bus, the events put on it in
 * the order they were accepted. Operations and admin routes change state only through this store.
 */

/** The product's naming rules for event buses (Limits: "Event bus naming rules"): 1 to 127 letters, digits and hyphens, starting with a letter or digit; `default` and the `eventbridge-reserved-` prefix are taken. */
export const BUS_NAME_PATTERN = '^(?!eventbridge-reserved-)(?!default$)[A-Za-z0-9][A-Za-z0-9-]{0,126}$';

/** Per bus, the oldest events are dropped beyond this, so a long local run cannot grow without bound. */
export const MAX_EVENTS_PER_BUS = 10_000;

/** An accepted entry exactly as it arrived (CloudEvents attributes, `data`, `aliyuneventbusname`). */
export type StoredEvent = Readonly<Record<string, unknown>>;

interface Bus {
  readonly name: string;
  readonly createdAt: string;
  readonly events: StoredEvent[];
}

export class EventBridgeStore {
  private buses = new Map<string, Bus>();

  reset(): void {
    this.buses.clear();
  }

  /** False when a bus of that name exists already. */
  createBus(name: string, now: Date): boolean {
    if (this.buses.has(name)) return false;
    this.buses.set(name, { name, createdAt: now.toISOString(), events: [] });
    return true;
  }

  hasBus(name: string): boolean {
    return this.buses.has(name);
  }

  busNames(): string[] {
    return [...this.buses.keys()];
  }

  append(busName: string, event: StoredEvent): void {
    const bus = this.buses.get(busName);
    if (!bus) throw new Error(`no bus ${busName}`);
    bus.events.push(event);
    if (bus.events.length > MAX_EVENTS_PER_BUS) bus.events.splice(0, bus.events.length - MAX_EVENTS_PER_BUS);
  }

  /** Every bus with its events, oldest first. */
  eventsByBus(): Record<string, StoredEvent[]> {
    return Object.fromEntries([...this.buses.values()].map((bus) => [bus.name, [...bus.events]]));
  }
}
