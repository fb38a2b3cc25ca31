// Icons drawn inline as SVG elements: no icon font, no extra request, nothing the CSP has to allow.

const paths = {
  phone: 'M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h8V5H8zm3 14.5h2',
  tv: 'M3 5h18a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm5 16h8M12 18v3',
  laptop: 'M5 5h14a1 1 0 0 1 1 1v9H4V6a1 1 0 0 1 1-1zM2 17h20l-1 2H3l-1-2z',
  device: 'M4 4h16v12H4zM9 20h6M12 16v4',
  shield: 'M12 2l8 3v6c0 5-3.5 9.5-8 11-4.5-1.5-8-6-8-11V5l8-3z',
  alert: 'M12 3l10 18H2L12 3zm0 6v5m0 3v.5',
  key: 'M15 4a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm-3.5 8.5L3 21m2.5-2.5 2 2m1-5 2 2',
  flame: 'M12 2c2.5 6 8 8.5 8 14.5A8 8 0 0 1 4 16.5C4 12.5 6 10 8 8.5c0 3 1.2 4.7 3 5.2-.6-5 .6-8.7 1-11.7z',
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={paths[name]} />
    </svg>
  );
}

export function platformIcon(platform: string | null): IconName {
  switch (platform) {
    case 'Android':
    case 'iOS':
      return 'phone';
    case 'TV':
      return 'tv';
    case 'Windows':
    case 'macOS':
    case 'Linux':
    case 'ChromeOS':
      return 'laptop';
    default:
      return 'device';
  }
}
