import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';

export function NotFoundPage() {
  return (
    <Page narrow title="Page not found" lead="There is nothing at this address, or you may not see it.">
      <p>
        <Link to="/">Go to the home page</Link>
      </p>
    </Page>
  );
}
