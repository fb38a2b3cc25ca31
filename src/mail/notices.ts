// Notices (S34) and sign-in alerts (S62): each says what happened, when, from which device and
// address, and what to do if it was not the user. They plug into the account flows through deps.hooks.
import type { Deps, SignInListener } from '../deps.ts';
import { countKnownDevices, countSignIns } from '../store/mail.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import { queueMail } from './queue.ts';
import { circumstancesOf, mailTime } from './templates.ts';
import { issueMailToken } from '../accounts/mail-tokens.ts';
import { mailAfterEmailChange, mailAfterRegistration } from '../accounts/email-verification.ts';

/** A notice is queued after the change it reports is done: failing to queue it must not undo or hide that change. */
async function safely(deps: Deps, what: string, userId: string | null, notice: () => Promise<void>): Promise<void> {
  try {
    await notice();
  } catch (err) {
    deps.log.error({ err, userId }, `could not queue the ${what} mail`);
  }
}

/**
 * A notice with a "this wasn't me" link, queued with its token in one transaction. The token remembers
 * the address it was sent to: if an intruder changes the account's address next, the link still sends
 * the way back to this one.
 */
async function noticeWithNotMe(
  deps: Deps,
  userId: string,
  now: Date,
  queue: (
    user: { id: string; username: string; email: string },
    notMeToken: string,
    db: Parameters<typeof queueMail>[1],
  ) => Promise<unknown>,
): Promise<void> {
  const user = await findUserById(deps.db, userId);
  if (!user) return;
  await deps.db.transaction().execute(async (trx) => {
    const notMeToken = await issueMailToken(deps, trx, { userId: user.id, purpose: 'not_me', email: user.email }, now);
    await queue(user, notMeToken, trx);
  });
}

export const signInAlert: SignInListener = async (deps, event, now) => {
  await safely(deps, 'sign-in alert', event.userId, async () => {
    let reason: 'new_device' | 'new_address' | null = null;
    if (event.newDevice) {
      // The very first device of an account is no news.
      if ((await countKnownDevices(deps.db, event.userId)) > 1) reason = 'new_device';
    } else if (event.ctx.ip && (await countSignIns(deps.db, event.userId, event.ctx.ip)) === 1) {
      if ((await countSignIns(deps.db, event.userId)) > 1) reason = 'new_address';
    }
    if (!reason) return;
    const when = circumstancesOf(event.ctx, now, event.device);
    await noticeWithNotMe(deps, event.userId, now, (user, notMeToken, db) =>
      queueMail(
        deps,
        db,
        {
          userId: user.id,
          to: user.email,
          template: 'sign_in_alert',
          data: { username: user.username, reason: reason!, when, notMeToken },
        },
        now,
      ),
    );
  });
};

export function registerNotices(deps: Deps): void {
  deps.hooks.signIn.push(signInAlert);

  deps.hooks.passwordChanged.push(async (d, event, now) => {
    await safely(d, 'password notice', event.userId, () =>
      noticeWithNotMe(d, event.userId, now, (user, notMeToken, db) =>
        queueMail(
          d,
          db,
          {
            userId: user.id,
            to: user.email,
            template: 'password_changed',
            data: { username: user.username, via: event.via, when: circumstancesOf(event.ctx, now), notMeToken },
          },
          now,
        ),
      ),
    );
  });

  deps.hooks.factorChanged.push(async (d, event, now) => {
    await safely(d, 'two-step sign-in notice', event.userId, () =>
      noticeWithNotMe(d, event.userId, now, (user, notMeToken, db) =>
        queueMail(
          d,
          db,
          {
            userId: user.id,
            to: user.email,
            template: 'factor_changed',
            data: {
              username: user.username,
              change: event.change,
              ...(event.remaining !== undefined ? { remaining: event.remaining } : {}),
              ...(event.name !== undefined ? { name: event.name } : {}),
              when: circumstancesOf(event.ctx, now),
              notMeToken,
            },
          },
          now,
        ),
      ),
    );
  });

  deps.hooks.sessionsRevokedByAdmin.push(async (d, event, now) => {
    await safely(d, 'signed-out notice', event.userId, async () => {
      const user = await findUserById(d.db, event.userId);
      if (!user) return;
      await queueMail(
        d,
        d.db,
        {
          userId: user.id,
          to: user.email,
          template: 'sessions_revoked',
          data: { username: user.username, by: event.by, count: event.count, at: mailTime(now) },
        },
        now,
      );
    });
  });

  deps.hooks.emailChanged.push(async (d, event, now) => {
    await safely(d, 'address change', event.userId, () => mailAfterEmailChange(d, event, now));
  });

  deps.hooks.registered.push(async (d, event, now) => {
    await safely(d, 'registration', event.userId, () => mailAfterRegistration(d, event, now));
  });

  deps.hooks.inviteCreated.push(async (d, event, now) => {
    const email = event.invite.email;
    if (!email) return;
    await safely(d, 'invitation', null, async () => {
      const inviter = await findUserById(d.db, event.inviterId);
      await queueMail(
        d,
        d.db,
        {
          to: email,
          template: 'invite',
          data: {
            url: event.url,
            inviter: inviter?.display_name || inviter?.username || 'An administrator',
            role: event.invite.role,
            expiresAt: mailTime(new Date(event.invite.expires_at)),
          },
        },
        now,
      );
    });
  });
}
