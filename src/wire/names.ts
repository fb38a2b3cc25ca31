// The named values that cross the wire as plain strings (roles, job, mail and item states): what the web app and
// the routes may name without reaching into the store.
export type { JobState, MailState, MediaItemType, Role } from '../store/schema.ts';
