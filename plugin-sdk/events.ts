/** In-process events shared between plugins (e.g. `message.received`). Handlers must not throw. */
export type EventHandler<T = unknown> = (payload: T) => void | Promise<void>;

export interface EventBus {
  /** Subscribes; the subscription ends automatically when the plugin unloads. Returns an unsubscribe. */
  on<T = unknown>(event: string, handler: EventHandler<T>): () => void;
  /** Delivers to every subscriber; a failing subscriber is logged, not propagated. */
  emit<T = unknown>(event: string, payload: T): void;
}
