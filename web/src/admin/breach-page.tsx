import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { errorText } from '../api.ts';
import {
  breachApi,
  isFinished,
  type BreachInput,
  type BreachPlan,
  type BreachResponse,
  type BreachState,
} from '../api/breach.ts';
import { Alert, Checkbox, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatDateTime } from '../components/format.ts';
import { Spinner } from '../components/page.tsx';
import { useReauth } from '../components/reauth.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { Table } from '../components/table.tsx';
import { useUser } from '../session.tsx';

const stateLabels: Record<BreachState, string> = {
  queued: 'Waiting to start',
  flagging: 'Signing accounts out',
  notifying: 'Sending the notices',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const stateBadges: Record<BreachState, string> = {
  queued: 'badge',
  flagging: 'badge badge-warning',
  notifying: 'badge badge-warning',
  done: 'badge badge-ok',
  failed: 'badge badge-danger',
  cancelled: 'badge',
};

/** Usernames or emails, one per line or separated by commas or spaces; each once. */
export function parseUserList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((entry) => entry.trim())
        .filter(Boolean),
    ),
  ];
}

const POLL_MS = 1000;
const POLL_AFTER_DONE_MS = 3000;

export function BreachPage() {
  const responses = useResource(breachApi.list);
  const [watching, setWatching] = useState<string | null>(null);
  const [startedNotice, setStartedNotice] = useState<string | null>(null);

  // A response still running when the page opens (started elsewhere, or before a reload) is shown at once.
  const running = responses.data?.find((response) => !isFinished(response.state)) ?? null;
  const shown = watching ?? running?.id ?? null;

  return (
    <>
      {shown !== null && (
        <BreachProgress
          key={shown}
          id={shown}
          notice={startedNotice}
          // The card and the list below show one state: each change the card sees, the list reads again.
          onState={() => void responses.reload()}
          onClose={() => {
            setWatching(null);
            setStartedNotice(null);
            void responses.reload();
          }}
        />
      )}
      {shown === null && (
        <BreachForm
          onStarted={(response, created) => {
            setStartedNotice(
              created
                ? 'The breach response has started.'
                : 'A breach response over the same accounts is already running: here is its progress.',
            );
            setWatching(response.id);
            void responses.reload();
          }}
        />
      )}
      <Section
        id="history"
        title="Earlier responses"
        description="Every breach response run on this server, newest first."
      >
        {responses.error !== null && <Alert kind="error">{responses.error}</Alert>}
        {responses.loading && responses.data === null ? (
          <Spinner label="Loading responses…" />
        ) : (responses.data ?? []).length === 0 ? (
          <p className="muted">None so far.</p>
        ) : (
          <Table columns={['Started', 'Accounts', 'Reason', 'State']} actions>
            {(responses.data ?? []).map((response) => (
              <tr key={response.id}>
                <th scope="row" data-label="Started">
                  <time dateTime={response.created_at}>{formatDateTime(response.created_at)}</time>
                  <span className="user-sub">by {response.created_by.name}</span>
                </th>
                <td data-label="Accounts">
                  {response.scope_description}: {response.report.users_flagged} flagged
                </td>
                <td data-label="Reason">{response.reason}</td>
                <td data-label="State">
                  <span className={stateBadges[response.state]}>{stateLabels[response.state]}</span>
                </td>
                <td data-label="Actions" className="actions-cell">
                  <button
                    type="button"
                    className="button-secondary button-small"
                    onClick={() => {
                      setStartedNotice(null);
                      setWatching(response.id);
                    }}
                  >
                    Report<span className="visually-hidden"> of {formatDateTime(response.created_at)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Section>
    </>
  );
}

function BreachForm({ onStarted }: { onStarted: (response: BreachResponse, created: boolean) => void }) {
  const me = useUser();
  const withReauth = useReauth();
  const [scopeKind, setScopeKind] = useState<'all' | 'users'>('all');
  const [users, setUsers] = useState('');
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  const [rotate, setRotate] = useState(false);
  const [plan, setPlan] = useState<{ key: string; plan: BreachPlan } | null>(null);
  const usersId = useId();
  const messageId = useId();

  const input = useMemo<BreachInput>(
    () => ({
      scope: scopeKind === 'all' ? { all: true } : { users: parseUserList(users) },
      reason: reason.trim(),
      message: message.trim(),
      ...(scopeKind === 'all' && rotate ? { rotate_password_key: true } : {}),
    }),
    [scopeKind, users, reason, message, rotate],
  );
  const key = JSON.stringify(input);
  // A preview stands only for the exact inputs it was made from.
  const current = plan !== null && plan.key === key ? plan.plan : null;

  const named = parseUserList(users).map((entry) => entry.toLowerCase());
  const includesMe =
    scopeKind === 'all' ||
    named.some((entry) => entry === me.username.toLowerCase() || entry === me.email.toLowerCase() || entry === me.id);

  const preview = useAction(
    useCallback(async () => {
      setPlan({ key: JSON.stringify(input), plan: await withReauth(() => breachApi.preview(input)) });
    }, [input, withReauth]),
  );

  const start = useAction(
    useCallback(async () => {
      const answer = await withReauth(() => breachApi.start(input));
      onStarted(answer.response, answer.created);
    }, [input, withReauth, onStarted]),
  );

  return (
    <Section
      id="start"
      title="Start a breach response"
      description="When passwords may have leaked: every account in scope is signed out everywhere (browsers, TVs, app passwords), its password stops working, open reset and link codes are voided, and each person is mailed your notice with the steps to choose a new password."
    >
      <form onSubmit={onSubmit(preview)} className="form-grid form-wide">
        {preview.message !== null && <Alert kind="error">{preview.message}</Alert>}
        <fieldset className="fieldset">
          <legend>Accounts</legend>
          <div className="checkbox">
            <input
              id="scope-all"
              type="radio"
              name="scope"
              checked={scopeKind === 'all'}
              onChange={() => setScopeKind('all')}
            />
            <label htmlFor="scope-all">Every account on this server</label>
          </div>
          <div className="checkbox">
            <input
              id="scope-users"
              type="radio"
              name="scope"
              checked={scopeKind === 'users'}
              onChange={() => setScopeKind('users')}
            />
            <label htmlFor="scope-users">Only these accounts</label>
          </div>
          {scopeKind === 'users' && (
            <div className="field">
              <label htmlFor={usersId}>Usernames or email addresses</label>
              <textarea
                id={usersId}
                name="users"
                rows={3}
                required
                spellCheck={false}
                aria-describedby={`${usersId}-hint`}
                value={users}
                onChange={(event) => setUsers(event.target.value)}
              />
              <p className="hint" id={`${usersId}-hint`}>
                One per line, or separated by commas.
              </p>
            </div>
          )}
          {scopeKind === 'all' && (
            <Checkbox
              label="Also replace the password key"
              checked={rotate}
              onChange={(event) => setRotate(event.target.checked)}
              hint="Every stored password hash stops verifying at once, on every instance. Choose this when the database itself may have been copied."
            />
          )}
        </fieldset>
        <Field
          label="Reason"
          name="reason"
          required
          maxLength={500}
          autoComplete="off"
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          hint="For the security log and the report. It is not mailed."
        />
        <div className="field">
          <label htmlFor={messageId}>Notice to the people affected</label>
          <textarea
            id={messageId}
            name="message"
            rows={7}
            required
            maxLength={10_000}
            aria-describedby={`${messageId}-hint`}
            value={message}
            onChange={(event) => setMessage(event.target.value)}
            placeholder="What happened, when, what was exposed and what was not."
          />
          <p className="hint" id={`${messageId}-hint`}>
            Plain text; blank lines start paragraphs. Hearth adds the steps to choose a new password and a link to this
            server's reset page, where each person asks for their own reset link: the notice itself carries no token,
            and it tells people to type the server's address themselves rather than trust links in mail.
          </p>
        </div>
        <div className="form-actions">
          <SubmitButton busy={preview.busy} className="button-secondary">
            Preview (changes nothing)
          </SubmitButton>
        </div>
      </form>

      {current !== null && (
        <div className="confirm-panel" role="group" aria-label="Preview of the breach response">
          <h3>This will:</h3>
          <dl className="facts" aria-label="What the breach response will do">
            <div>
              <dt>Accounts</dt>
              <dd>
                {current.users}
                {current.users_already_flagged > 0 && ` (${current.users_already_flagged} already flagged)`}
              </dd>
            </div>
            <div>
              <dt>Sessions signed out</dt>
              <dd>{current.sessions}</dd>
            </div>
            <div>
              <dt>App passwords revoked</dt>
              <dd>{current.app_passwords}</dd>
            </div>
            <div>
              <dt>Links and codes voided</dt>
              <dd>{current.reset_and_alert_links + current.pending_sign_ins + current.link_codes}</dd>
            </div>
            <div>
              <dt>Invites voided</dt>
              <dd>{current.invites}</dd>
            </div>
            <div>
              <dt>Notices mailed</dt>
              <dd>{current.mails}</dd>
            </div>
            {current.password_key_version !== null && (
              <div>
                <dt>Password key</dt>
                <dd>
                  version {current.password_key_version.from} → {current.password_key_version.to}
                </dd>
              </div>
            )}
          </dl>
          {current.users_sample.length > 0 && (
            <p className="muted">
              Including {current.users_sample.join(', ')}
              {current.users > current.users_sample.length &&
                ` and ${current.users - current.users_sample.length} more`}
              .
            </p>
          )}
          {includesMe && (
            <Alert kind="info">
              Your own account is in scope: this browser is signed out as well, and you will choose a new password like
              everyone else.
            </Alert>
          )}
          {start.message !== null && <Alert kind="error">{start.message}</Alert>}
          <div className="button-row">
            <button
              type="button"
              className="button-danger"
              disabled={start.busy || current.users === 0}
              aria-busy={start.busy}
              onClick={() => void start.run()}
            >
              Start the breach response
            </button>
            <button type="button" className="button-secondary" onClick={() => setPlan(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </Section>
  );
}

function Meter({ label, value, max }: { label: string; value: number; max: number }) {
  return (
    <div className="meter">
      <p className="meter-label">
        {label}: <strong>{value}</strong> of {max}
      </p>
      <progress value={value} max={Math.max(max, 1)} aria-label={label} />
    </div>
  );
}

function BreachProgress({
  id,
  notice,
  onClose,
  onState,
}: {
  id: string;
  notice: string | null;
  onClose: () => void;
  onState?: (state: string) => void;
}) {
  const [response, setResponse] = useState<BreachResponse | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const stateSeen = useRef<string | null>(null);
  const onStateRef = useRef(onState);
  onStateRef.current = onState;

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let next = POLL_MS;
      try {
        const fresh = await breachApi.get(id);
        if (!active) return;
        setResponse(fresh);
        setFailure(null);
        if (stateSeen.current !== null && stateSeen.current !== fresh.state) onStateRef.current?.(fresh.state);
        stateSeen.current = fresh.state;
        // The report still moves after the end, more slowly: notices go out and people choose new passwords.
        if (isFinished(fresh.state)) next = POLL_AFTER_DONE_MS;
      } catch (error) {
        if (!active) return;
        setFailure(errorText(error));
        next = POLL_AFTER_DONE_MS;
      }
      timer = setTimeout(() => void poll(), next);
    };
    void poll();
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [id]);

  const report = response?.report;

  return (
    <Section
      id="progress"
      title={response !== null && isFinished(response.state) ? 'Breach response report' : 'Breach response in progress'}
      description={
        response !== null
          ? `Started ${formatDateTime(response.created_at)} by ${response.created_by.name}: ${response.scope_description}.`
          : undefined
      }
    >
      {notice !== null && <Alert kind="success">{notice}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {response === null || report === undefined ? (
        <Spinner label="Loading the response…" />
      ) : (
        <>
          <p role="status" className="breach-state">
            <span className={stateBadges[response.state]}>{stateLabels[response.state]}</span>
            {!isFinished(response.state) && <span className="spinner" aria-hidden="true" />}
          </p>
          {response.error !== null && <Alert kind="error">{response.error}</Alert>}
          <div className="meters">
            <Meter label="Accounts signed out and flagged" value={report.users_flagged} max={report.users_in_scope} />
            <Meter label="Notices sent" value={report.mails_sent} max={report.mails_queued} />
            <Meter label="New passwords chosen" value={report.users_reset_since} max={report.users_flagged} />
          </div>
          <dl className="facts" aria-label="Report">
            <div>
              <dt>Sessions signed out</dt>
              <dd>{report.sessions_revoked}</dd>
            </div>
            <div>
              <dt>App passwords revoked</dt>
              <dd>{report.app_passwords_revoked}</dd>
            </div>
            <div>
              <dt>Links and codes voided</dt>
              <dd>{report.tokens_voided}</dd>
            </div>
            <div>
              <dt>Invites voided</dt>
              <dd>{report.invites_voided}</dd>
            </div>
            <div>
              <dt>Notices waiting</dt>
              <dd>{report.mails_pending}</dd>
            </div>
            <div>
              <dt>Notices failed</dt>
              <dd>{report.mails_failed}</dd>
            </div>
            <div>
              <dt>With two-step sign-in</dt>
              <dd>
                {report.users_with_second_factor} of {report.users_in_scope}
              </dd>
            </div>
            {response.finished_at !== null && (
              <div>
                <dt>Finished</dt>
                <dd>
                  <time dateTime={response.finished_at}>{formatDateTime(response.finished_at)}</time>
                </dd>
              </div>
            )}
          </dl>
          <details className="details">
            <summary>Reason and notice</summary>
            <p>
              <strong>Reason:</strong> {response.reason}
            </p>
            <pre className="mail-text">{response.message}</pre>
          </details>
          {isFinished(response.state) && (
            <div className="button-row">
              <button type="button" className="button-secondary" onClick={onClose}>
                Close the report
              </button>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
