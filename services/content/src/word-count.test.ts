import { countWords as domainCountWords } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import { countWords } from './word-count.ts';

describe('countWords (component-safe)', () => {
  const samples = [
    '',
    'One two three.',
    "# Chapter 1\n\nIt's a *well-known* fact — isn't it? 42 dragons, 3.5 ships.",
    'Ça va? Très bien, élève! Straße über Größe.',
    'Война и мир — Ἰλιάς — שלום עולם — مرحبا بالعالم',
    '東京 タワー 서울 hello   world\n\n- list item\n> quote',
    '**bold**_under_ `code` [link](http://example.com/a-b)',
  ];
  it.each(samples)('agrees with the domain rule on %j', (text) => {
    expect(countWords(text)).toBe(domainCountWords(text));
  });
});
