import { useId, useState } from 'react';
import { Section } from '../components/section.tsx';
import { chooseTheme, storedTheme, type ThemeChoice } from '../ui/theme.ts';

const choices: { value: ThemeChoice; label: string; hint: string }[] = [
  {
    value: 'system',
    label: 'Like this device',
    hint: 'Light or dark as the system is set, and it follows when that changes.',
  },
  { value: 'light', label: 'Light', hint: 'Dark text on a light page.' },
  { value: 'dark', label: 'Dark', hint: 'Light text on a dark page: kinder in a dark room.' },
];

/** Light or dark for this browser. */
export function AppearanceSection() {
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme);
  const name = useId();
  return (
    <Section id="appearance" title="Appearance" description="How Hearth looks in this browser.">
      <fieldset className="fieldset">
        <legend>Colours</legend>
        {choices.map((choice) => (
          <label key={choice.value} className="checkbox">
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={theme === choice.value}
              onChange={() => {
                setTheme(choice.value);
                chooseTheme(choice.value);
              }}
            />
            <span>{choice.label}</span>
            <span className="hint">{choice.hint}</span>
          </label>
        ))}
      </fieldset>
    </Section>
  );
}
