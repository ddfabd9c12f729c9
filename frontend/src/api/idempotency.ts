/** A fresh Idempotency-Key per user action: a network retry of the same POST never acts twice. */
export function idempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}
