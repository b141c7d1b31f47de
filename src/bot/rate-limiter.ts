/**
 * A token bucket per user: `burst` questions at once, then `perMinute` a minute. Buckets of users
 * who went quiet are dropped, so that the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; warned: boolean }>();

  constructor(
    private readonly limits: { readonly perMinute: number; readonly burst: number },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * "allowed", or "limited" the first time a user goes over (tell them), "silent" after that until
   * their bucket refills (telling them at every message would be its own flood).
   */
  take(userId: string): "allowed" | "limited" | "silent" {
    const now = this.now();
    const refill = this.limits.perMinute / 60_000;
    const bucket = this.buckets.get(userId) ?? { tokens: this.limits.burst, at: now, warned: false };
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (now - bucket.at) * refill);
    bucket.at = now;
    this.buckets.delete(userId);
    this.buckets.set(userId, bucket);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.warned = false;
      return "allowed";
    }
    if (bucket.warned) return "silent";
    bucket.warned = true;
    return "limited";
  }
}
