import type { ComponentType } from 'react';
import { ActivitySection } from './activity-section.tsx';
import { DevicesSection } from './devices-section.tsx';
import { PasswordSection } from './password-section.tsx';
import { ProfileSection } from './profile-section.tsx';

export interface AccountSection {
  /** The anchor in /account#id, also the section element's id. */
  id: string;
  /** The entry in the page's table of contents. */
  label: string;
  Component: ComponentType;
}

// The account security page, in order. Two-step sign-in, passkeys and app passwords take their place in this
// list when their APIs exist; a section appears here only once it works.
export const accountSections: AccountSection[] = [
  { id: 'profile', label: 'Profile', Component: ProfileSection },
  { id: 'password', label: 'Password', Component: PasswordSection },
  { id: 'devices', label: 'Devices', Component: DevicesSection },
  { id: 'activity', label: 'Security activity', Component: ActivitySection },
];
