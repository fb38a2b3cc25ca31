import type { ComponentType } from 'react';
import { ActivitySection } from './activity-section.tsx';
import { AppearanceSection } from './appearance-section.tsx';
import { AppPasswordsSection } from './app-passwords-section.tsx';
import { DevicesSection } from './devices-section.tsx';
import { PasskeysSection } from './passkeys-section.tsx';
import { PasswordSection } from './password-section.tsx';
import { ProfileSection } from './profile-section.tsx';
import { TwoFactorSection } from './two-factor-section.tsx';

export interface AccountSection {
  /** The anchor in /account#id, also the section element's id. */
  id: string;
  /** The entry in the page's table of contents. */
  label: string;
  Component: ComponentType;
}

// The account security page, in order; a section appears here only once it works.
export const accountSections: AccountSection[] = [
  { id: 'profile', label: 'Profile', Component: ProfileSection },
  { id: 'password', label: 'Password', Component: PasswordSection },
  { id: 'two-factor', label: 'Two-step sign-in', Component: TwoFactorSection },
  { id: 'passkeys', label: 'Passkeys', Component: PasskeysSection },
  { id: 'app-passwords', label: 'App passwords', Component: AppPasswordsSection },
  { id: 'devices', label: 'Devices', Component: DevicesSection },
  { id: 'activity', label: 'Security activity', Component: ActivitySection },
  { id: 'appearance', label: 'Appearance', Component: AppearanceSection },
];
