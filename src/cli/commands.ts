// Every command of the CLI but `serve` (main.ts loads that one on demand, with the server).
import type { CliCommand } from './command.ts';
import { breachCommands } from './breach.command.ts';
import { libraryCommands } from './library.command.ts';
import { linkCommands } from './link.command.ts';
import { mailCommands } from './mail.command.ts';
import { userCommand, userHelp } from './user.command.ts';

export const commands: CliCommand[] = [
  {
    name: 'user',
    summary: 'create, list and sign out users',
    help: userHelp,
    needsStore: true,
    run: (args, deps) => userCommand(deps!, args),
  },
  ...linkCommands,
  ...libraryCommands,
  ...mailCommands,
  ...breachCommands,
];
