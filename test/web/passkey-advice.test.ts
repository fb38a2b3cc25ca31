// What the passkey pages say when the browser refuses the address: exactly what the operator has to do.
import { describe, expect, it } from 'vitest';
import { addressAdvice } from '../../web/src/components/passkey.ts';

describe('passkey address advice', () => {
  it('at http://127.0.0.1:8420 it names http://localhost:8420 and HEARTH_PUBLIC_URL with https', () => {
    const text = addressAdvice({ protocol: 'http:', hostname: '127.0.0.1', port: '8420' }, '127.0.0.1');
    expect(text).toContain('http://localhost:8420');
    expect(text).toContain('HEARTH_PUBLIC_URL');
    expect(text).toContain('https://');
    expect(text).not.toContain('its public address');
  });

  it('at another name than the one the passkeys belong to, it names both', () => {
    const text = addressAdvice({ protocol: 'https:', hostname: 'media.lan', port: '' }, 'hearth.example.org');
    expect(text).toContain('hearth.example.org');
    expect(text).toContain('media.lan');
  });

  it('over plain http at a name, it asks for https or localhost', () => {
    const text = addressAdvice({ protocol: 'http:', hostname: 'hearth.lan', port: '8420' }, 'hearth.lan');
    expect(text).toContain('HTTPS');
    expect(text).toContain('http://localhost:8420');
  });
});
