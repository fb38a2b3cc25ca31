// The list of passwords refused outright (S03). @zxcvbn-ts/language-common ships ~49,000 passwords ranked
// from breach corpora, fewer than the 100,000 we promise, so the English words, names and Wikipedia terms of
// @zxcvbn-ts/language-en and the diceware list join them: NIST 63B names dictionary words next to breached
// passwords as what a verifier must refuse, and a single common word is one guess for any cracker.
// Taking the lists from the packages that zxcvbn-ts already loads keeps them maintained upstream and in memory once.
import { wordLists } from './word-lists.ts';

export function blocklistSources() {
  const { common, english } = wordLists();
  return {
    'passwords-common': common.dictionary['passwords-common'],
    'diceware-common': common.dictionary['diceware-common'],
    'commonWords-en': english.dictionary['commonWords-en'],
    'wikipedia-en': english.dictionary['wikipedia-en'],
    'firstnames-en': english.dictionary['firstnames-en'],
    'lastnames-en': english.dictionary['lastnames-en'],
  } as const satisfies Record<string, readonly string[]>;
}

/** The form every entry and every candidate is compared in: NFKC, then lower case. */
export function blocklistKey(password: string): string {
  return password.normalize('NFKC').toLowerCase();
}

let blocklist: ReadonlySet<string> | undefined;

/** Built on first use, so processes that never check a new password never pay for it. */
export function commonPasswords(): ReadonlySet<string> {
  if (!blocklist) {
    const entries = new Set<string>();
    for (const list of Object.values(blocklistSources())) {
      for (const entry of list) entries.add(blocklistKey(entry));
    }
    blocklist = entries;
  }
  return blocklist;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(blocklistKey(password));
}
