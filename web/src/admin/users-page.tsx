import { useCallback, useState } from 'react';
import { api, errorText, type AssignableRole, type CreatedInvite, type Role, type User } from '../api.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatDateTime } from '../components/format.ts';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { useReauth } from '../components/reauth.tsx';
import { Section } from '../components/section.tsx';
import { Table } from '../components/table.tsx';
import { useUser } from '../session.tsx';

const roleLabels: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

const roleRank: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

// These mirror the server's rules only to avoid offering buttons that can only fail; the server decides.

/** Role and standing: never one's own, never the owner's; only the owner changes admins. */
function canManage(actor: User, target: User): boolean {
  if (target.id === actor.id || target.role === 'owner') return false;
  return actor.role === 'owner' || roleRank[target.role] < roleRank[actor.role];
}

/** Signing out everywhere: oneself, or someone of lower rank (the owner: anyone). */
function canSignOut(actor: User, target: User): boolean {
  return target.id === actor.id || actor.role === 'owner' || roleRank[target.role] < roleRank[actor.role];
}

export function UsersPage() {
  const actor = useUser();
  const withReauth = useReauth();
  const users = useResource(api.admin.users);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);

  const act = async (user: User, perform: () => Promise<string>) => {
    setPending(user.id);
    setNotice(null);
    setFailure(null);
    try {
      setNotice(await withReauth(perform));
      await users.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setPending(null);
    }
  };

  const name = (user: User) => user.display_name ?? user.username;

  return (
    <>
      <Section id="users" title="Users" description="Everyone with an account on this server.">
        {notice !== null && <Alert kind="success">{notice}</Alert>}
        {failure !== null && <Alert kind="error">{failure}</Alert>}
        {users.error !== null && <Alert kind="error">{users.error}</Alert>}
        {users.loading && users.data === null ? (
          <Spinner label="Loading users…" />
        ) : (
          <Table columns={['User', 'Role', 'Status', 'Joined']} actions>
            {(users.data ?? []).map((user) => {
              const manageable = canManage(actor, user);
              const busy = pending === user.id;
              return (
                <tr key={user.id} className={user.disabled ? 'row-muted' : undefined}>
                  <th scope="row" data-label="User">
                    <span className="user-cell">
                      <span className="avatar" aria-hidden="true">
                        {name(user).charAt(0).toUpperCase()}
                      </span>
                      <span>
                        <span className="user-name">{name(user)}</span>
                        {user.id === actor.id && <span className="badge">you</span>}
                        <span className="user-sub">
                          {user.username} · {user.email}
                        </span>
                      </span>
                    </span>
                  </th>
                  <td data-label="Role">
                    {manageable ? (
                      <select
                        aria-label={`Role of ${user.username}`}
                        value={user.role}
                        disabled={pending !== null}
                        onChange={(event) => {
                          const role = event.target.value as AssignableRole;
                          void act(user, async () => {
                            await api.admin.updateUser(user.id, { role });
                            return `${user.username} is now ${roleLabels[role].toLowerCase()}.`;
                          });
                        }}
                      >
                        <option value="member">{roleLabels.member}</option>
                        {actor.role === 'owner' && <option value="admin">{roleLabels.admin}</option>}
                      </select>
                    ) : (
                      roleLabels[user.role]
                    )}
                  </td>
                  <td data-label="Status">
                    {user.disabled ? (
                      <span className="badge badge-danger">Disabled</span>
                    ) : (
                      <span className="badge badge-ok">Active</span>
                    )}
                    {user.password_reset_required && <span className="badge badge-warning">New password required</span>}
                  </td>
                  <td data-label="Joined">
                    <time dateTime={user.created_at}>{formatDateTime(user.created_at)}</time>
                  </td>
                  <td data-label="Actions" className="actions-cell">
                    {canSignOut(actor, user) && (
                      <button
                        type="button"
                        className="button-secondary button-small"
                        disabled={pending !== null}
                        aria-busy={busy}
                        onClick={() =>
                          void act(user, async () => {
                            const { revoked } = await api.admin.revokeSessions(user.id);
                            return `${user.username} is signed out of every device (${revoked} session${revoked === 1 ? '' : 's'} ended).`;
                          })
                        }
                      >
                        Sign out everywhere<span className="visually-hidden"> ({user.username})</span>
                      </button>
                    )}
                    {manageable && (
                      <button
                        type="button"
                        className={user.disabled ? 'button-secondary button-small' : 'button-danger button-small'}
                        disabled={pending !== null}
                        aria-busy={busy}
                        onClick={() =>
                          void act(user, async () => {
                            await api.admin.updateUser(user.id, { disabled: !user.disabled });
                            return user.disabled
                              ? `${user.username} can sign in again.`
                              : `${user.username} is disabled and signed out of every device.`;
                          })
                        }
                      >
                        {user.disabled ? 'Enable' : 'Disable'}
                        <span className="visually-hidden"> {user.username}</span>
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
      </Section>
      <InviteSection canInviteAdmins={actor.role === 'owner'} />
    </>
  );
}

function InviteSection({ canInviteAdmins }: { canInviteAdmins: boolean }) {
  const withReauth = useReauth();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AssignableRole>('member');
  const [created, setCreated] = useState<CreatedInvite | null>(null);
  const [copied, setCopied] = useState(false);

  const invite = useAction(
    useCallback(async () => {
      setCreated(null);
      setCopied(false);
      const address = email.trim();
      setCreated(
        await withReauth(() => api.admin.createInvite({ role, ...(address !== '' ? { email: address } : {}) })),
      );
      setEmail('');
    }, [email, role, withReauth]),
  );

  const copy = async () => {
    if (created === null) return;
    try {
      await navigator.clipboard.writeText(created.url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <Section
      id="invite"
      title="Invite someone"
      description="An invite link works once and expires. Send it through a channel you trust: whoever opens it can create an account."
    >
      <form onSubmit={onSubmit(invite)} className="form-inline">
        {invite.message !== null && <Alert kind="error">{invite.message}</Alert>}
        <Field
          label="Email (optional)"
          name="email"
          type="email"
          autoComplete="off"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          hint="When given, only this address can use the invite."
        />
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(event) => setRole(event.target.value as AssignableRole)}>
            <option value="member">Member</option>
            {canInviteAdmins && <option value="admin">Admin</option>}
          </select>
        </div>
        <div className="form-actions">
          <SubmitButton busy={invite.busy}>Create invite link</SubmitButton>
        </div>
      </form>
      {created !== null && (
        <div className="invite-result" role="status">
          <p>
            Invite for <strong>{created.invite.email ?? 'anyone with the link'}</strong> as{' '}
            {roleLabels[created.invite.role].toLowerCase()}, valid until {formatDateTime(created.invite.expires_at)}. It
            is shown only now.
          </p>
          <div className="input-with-button">
            <input
              aria-label="Invite link"
              readOnly
              value={created.url}
              onFocus={(event) => event.target.select()}
              className="mono"
            />
            <button type="button" className="button-secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      )}
    </Section>
  );
}
