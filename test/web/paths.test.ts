import { describe, expect, it } from 'vitest';
import { matchPath, safeNext } from '../../web/src/paths.ts';

describe('web paths', () => {
  it('matches patterns and decodes their parts', () => {
    expect(matchPath('/items/:id', '/items/abc%20d')).toEqual({ id: 'abc d' });
    expect(matchPath('/admin/users', '/admin/users')).toEqual({});
    expect(matchPath('/items/:id', '/items')).toBeNull();
    expect(matchPath('/items/:id', '/libraries/1')).toBeNull();
    expect(matchPath('/items/:id', '/items/%E0%A4%A')).toBeNull();
  });

  it('sends a person back only to a path of this site after signing in', () => {
    expect(safeNext('/account')).toBe('/account');
    expect(safeNext('/libraries/1?sort=title')).toBe('/libraries/1?sort=title');
    expect(safeNext(null)).toBe('/');
    for (const outside of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '',
      // The browser drops tabs and line breaks from a URL: each of these is //evil.example to it.
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r/evil.example',
      '\t//evil.example',
    ]) {
      expect(safeNext(outside), outside).toBe('/');
    }
  });
});
