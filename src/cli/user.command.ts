import { parseArgs } from 'node:util';
import { OPERATOR } from '../accounts/caller.ts';
import { adminRevokeSessions, createUser, listUserViews } from '../accounts/users.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { ROLES, type Role } from '../store/schema.ts';
import { findUserWithHashByLogin, listUserIdsByRole } from '../store/users.repository.ts';
import { normalizeLogin } from '../accounts/identity.ts';
import { CliError, readPassword } from './io.ts';

export const userHelp = `Usage:
  hearth user create --username U --email E --role owner|admin|member   (password from standard input)
  hearth user list
  hearth user revoke-sessions <username|email>`;

const cliContext = { ip: null, device: 'hearth CLI' };

export async function userCommand(deps: Deps, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const now = deps.clock();
  if (sub === 'create') {
    const { values } = parseArgs({
      args: rest,
      options: { username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', default: 'member' } },
      strict: true,
    });
    if (!values.username || !values.email) throw new CliError('--username and --email are required\n' + userHelp);
    const role = values.role as Role;
    if (!ROLES.includes(role)) throw new CliError('--role must be owner, admin or member');
    if (role === 'owner' && (await listUserIdsByRole(deps.db, ['owner'])).length > 0) {
      throw new CliError('this server already has an owner: create an admin instead (--role admin)');
    }
    const password = await readPassword();
    if (!password) throw new CliError('no password was given (type it at the prompt, or pipe it to standard input)');
    const user = await createUser(
      deps,
      { username: values.username, email: values.email, password, role },
      cliContext,
      now,
    );
    process.stdout.write(`Created ${user.role} ${user.username} <${user.email}> (id ${user.id})\n`);
    return 0;
  }
  if (sub === 'list') {
    const users = await listUserViews(deps);
    const rows = users.map((u) => [
      u.username,
      u.email,
      u.role,
      u.disabled ? 'disabled' : u.password_reset_required ? 'reset required' : 'active',
      u.created_at.slice(0, 10),
    ]);
    const header = ['USERNAME', 'EMAIL', 'ROLE', 'STATE', 'CREATED'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      process.stdout.write(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
      );
    return 0;
  }
  if (sub === 'revoke-sessions') {
    const login = rest[0];
    if (!login) throw new CliError('name the user: hearth user revoke-sessions <username|email>');
    const user = await findUserWithHashByLogin(deps.db, normalizeLogin(login));
    if (!user) throw new CliError(`no user "${login}"`);
    const count = await adminRevokeSessions(deps, OPERATOR, user.id, cliContext, now);
    process.stdout.write(`Signed ${user.username} out of ${count} session${count === 1 ? '' : 's'}\n`);
    return 0;
  }
  throw new CliError(userHelp);
}

export function describeCliError(err: unknown): string | null {
  if (err instanceof CliError) return err.message;
  if (err instanceof AppError) return err.message;
  return null;
}
