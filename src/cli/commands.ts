// Commands that other capabilities add to the CLI (mail, breach response, libraries, linking).
import type { CliCommand } from './main.ts';
import { linkCommands } from './link.command.ts';
import { libraryCommands } from './library.command.ts';
import { mailCommands } from './mail.command.ts';
import { breachCommands } from './breach.command.ts';

export const commands: CliCommand[] = [
  ...linkCommands,
  ...libraryCommands,
  ...mailCommands,
  ...breachCommands,
];
