// The shape of a CLI command: its own file, so that the command list and main.ts need not import each other.
import type { Deps } from '../deps.ts';

export interface CliCommand {
  name: string;
  summary: string;
  help: string;
  /** Commands that run against the store get deps; others (link, whoami) talk HTTP. */
  needsStore: boolean;
  run(args: string[], deps: Deps | null): Promise<number>;
}
