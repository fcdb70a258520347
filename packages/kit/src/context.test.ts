import { describe, expect, it } from 'vitest';
import { clientAddressOf } from './context.ts';

const withAddress = (...values: string[]) => {
  const headers = new Headers();
  for (const value of values) headers.append('spin-client-addr', value);
  return new Request('http://localhost/', { headers });
};

describe('clientAddressOf', () => {
  it('reads the address Spin sets, without its port', () => {
    expect(clientAddressOf(withAddress('10.0.0.7:5555'))).toBe('10.0.0.7');
    expect(clientAddressOf(withAddress('[2001:db8::1]:443'))).toBe('2001:db8::1');
    expect(clientAddressOf(new Request('http://localhost/'))).toBeNull();
  });

  it('takes Spin’s value, appended after whatever the client sent under the same name', () => {
    expect(clientAddressOf(withAddress('1.2.3.4', '10.0.0.7:5555'))).toBe('10.0.0.7');
    expect(clientAddressOf(withAddress('1.2.3.4:80, 5.6.7.8:90', '[::1]:6000'))).toBe('::1');
  });
});
