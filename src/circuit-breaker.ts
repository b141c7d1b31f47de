/**
 * Stops calling a provider that keeps failing: after `failures` failures in a row the circuit
 * opens and calls are skipped for `coolDownMs`; then one call is let through (half-open), and its
 * outcome closes or reopens the circuit.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private trial = false;

  constructor(
    private readonly settings: { readonly failures: number; readonly coolDownMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  get state(): "closed" | "open" | "half-open" {
    if (this.openUntil === 0) return "closed";
    return this.now() < this.openUntil ? "open" : "half-open";
  }

  /** True when a call may go through now (in half-open, only one at a time). */
  allows(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.trial) return false;
    this.trial = true;
    return true;
  }

  succeeded(): void {
    this.consecutive = 0;
    this.openUntil = 0;
    this.trial = false;
  }

  failed(): void {
    this.consecutive++;
    this.trial = false;
    if (this.consecutive >= this.settings.failures || this.openUntil !== 0) this.openUntil = this.now() + this.settings.coolDownMs;
  }
}
