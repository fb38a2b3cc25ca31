import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { ReauthProvider } from './components/reauth.tsx';
import { SessionProvider } from './session.tsx';
import { applyTheme, storedTheme } from './ui/theme.ts';

applyTheme(storedTheme());

const root = document.getElementById('root');
if (root === null) throw new Error('index.html lacks #root');

createRoot(root).render(
  <StrictMode>
    <SessionProvider>
      <ReauthProvider>
        <App />
      </ReauthProvider>
    </SessionProvider>
  </StrictMode>,
);
