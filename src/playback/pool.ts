// The encoder pool: at most HEARTH_TRANSCODE_MAX encoders at once, shared by every door (the web
// player's HLS, the Jellyfin door, the Subsonic door's audio transcodes). Beyond the limit a caller gets
// `503 transcode_busy` with Retry-After instead of a machine that stutters for everyone.
import { AppError } from '../errors.ts';

export interface EncoderSlot {
  readonly label: string;
  /** Gives the slot back; a second call does nothing. */
  release(): void;
}

/** Seconds a refused caller is told to wait. */
export const BUSY_RETRY_AFTER_SECONDS = 10;

export class EncoderPool {
  private held = new Set<EncoderSlot>();

  constructor(readonly max: number) {}

  get active(): number {
    return this.held.size;
  }

  labels(): string[] {
    return [...this.held].map((slot) => slot.label);
  }

  /** A slot, or null when every one is taken. */
  tryAcquire(label: string): EncoderSlot | null {
    if (this.held.size >= this.max) return null;
    const held = this.held;
    const slot: EncoderSlot = {
      label,
      release() {
        held.delete(slot);
      },
    };
    held.add(slot);
    return slot;
  }

  /** A slot, or `503 transcode_busy` with Retry-After. */
  acquire(label: string): EncoderSlot {
    const slot = this.tryAcquire(label);
    if (slot === null) throw busyError();
    return slot;
  }
}

export function busyError(): AppError {
  return new AppError('transcode_busy', undefined, { retry_after: BUSY_RETRY_AFTER_SECONDS });
}
