// The breach notice: the operator's own words first (what happened, what was and was not exposed), then
// the steps. It holds no token: the way back starts from the reset page, which the user is told to reach
// by typing the server's address, like every Hearth mail says (S60, S61).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { BreachResponseRow, NoticeRecipient } from '../store/breach.repository.ts';
import { queueMail } from '../mail/queue.ts';
import { renderMail } from '../mail/templates.ts';

/** Refuses, before anything changes, a notice that could not be sent (a link to another site, say). */
export function checkNoticeMessage(deps: Pick<Deps, 'config'>, message: string): void {
  try {
    renderMail('breach_notice', { username: 'user', message }, { publicUrl: deps.config.publicUrl, phrase: null });
  } catch (err) {
    throw new AppError(
      'invalid_body',
      `The notice cannot be sent as written: ${(err as Error).message}. Mails from this server may only link to ${deps.config.publicUrl.origin}.`,
      { field: 'message' },
    );
  }
}

export async function queueBreachNotice(
  deps: Pick<Deps, 'config' | 'random' | 'jobs'>,
  db: Db,
  response: BreachResponseRow,
  recipient: NoticeRecipient,
  now: Date,
): Promise<{ id: string }> {
  return queueMail(
    deps,
    db,
    { userId: recipient.user_id, to: recipient.email, template: 'breach_notice', data: { username: recipient.username, message: response.message } },
    now,
  );
}
