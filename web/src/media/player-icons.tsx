// The player's own icons (picture-in-picture, subtitles, next, keyboard, close, back), drawn like media-icons.tsx.

const paths = {
  pip: 'M3 5h18v14H3zM12 12h7v5h-7z',
  captions: 'M3 5h18v14H3zM10 10.5a2.5 2.5 0 1 0 0 3M17 10.5a2.5 2.5 0 1 0 0 3',
  next: 'M6 5v14l9-7zM18 5v14',
  keyboard: 'M2 6h20v12H2zM6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10',
  close: 'M6 6l12 12M18 6L6 18',
  back: 'M11 6L5 12l6 6M5 12h14',
  exitFullscreen: 'M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5',
} as const;

export type PlayerIconName = keyof typeof paths;

export function PlayerIcon({ name, className }: { name: PlayerIconName; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      viewBox="0 0 24 24"
      fill={name === 'next' ? 'currentColor' : 'none'}
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
