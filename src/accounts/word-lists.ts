// The word lists of zxcvbn-ts: common and breached passwords, English words and names, keyboard graphs. Loading
// them takes about a quarter of a second, so they load on first use: a CLI command or a server that never checks
// a new password never pays for them (the server warms them in the background after it starts).
import { createRequire } from 'node:module';

type CommonLists = typeof import('@zxcvbn-ts/language-common');
type EnglishLists = typeof import('@zxcvbn-ts/language-en');

const load = createRequire(import.meta.url);
let lists: { common: CommonLists; english: EnglishLists } | undefined;

export function wordLists(): { common: CommonLists; english: EnglishLists } {
  lists ??= {
    common: load('@zxcvbn-ts/language-common') as CommonLists,
    english: load('@zxcvbn-ts/language-en') as EnglishLists,
  };
  return lists;
}
