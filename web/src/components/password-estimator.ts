// Loaded only through a dynamic import from the strength meter, so these dictionaries form their own chunk.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import translations from '@zxcvbn-ts/language-en/dist/translations.mjs';

export interface Estimate {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

const factory = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, translations });

export function estimate(password: string, userInputs: string[]): Estimate {
  const result = factory.check(password, userInputs);
  return { score: result.score, warning: result.feedback.warning, suggestions: result.feedback.suggestions };
}
