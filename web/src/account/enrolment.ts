import { useEffect } from 'react';
import { onEnrolmentRequired } from '../api.ts';
import { navigate } from '../router.tsx';
import { notifyFactorsChanged } from './factor-events.ts';

/**
 * Any page refused with `mfa_enrollment_required` (the server's two-step policy covers this account and it
 * has no factor yet) sends the person to the place where one is set up, which explains why.
 */
export function useEnrolmentRedirect(): void {
  useEffect(
    () =>
      onEnrolmentRequired(() => {
        if (location.pathname === '/account') notifyFactorsChanged();
        else navigate('/account#two-factor', { replace: true });
      }),
    [],
  );
}
