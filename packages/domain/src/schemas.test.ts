import { describe, expect, it } from 'vitest';
import {
  BookList,
  CreateBookRequest,
  ErrorEnvelope,
  EventEnvelope,
  LoginRequest,
  PageQuery,
  RegisterRequest,
  UpdateBookRequest,
  UpdateMeRequest,
  countWords,
} from './index.ts';

describe('pagination', () => {
  it('defaults limit to 20 and coerces query strings', () => {
    expect(PageQuery.parse({})).toEqual({ limit: 20 });
    expect(PageQuery.parse({ limit: '100', cursor: 'abc' })).toEqual({ limit: 100, cursor: 'abc' });
  });
  it.each(['0', '101', '2.5', 'ten'])('rejects limit=%s', (limit) => {
    expect(PageQuery.safeParse({ limit }).success).toBe(false);
  });
  it('lists are { items, nextCursor }', () => {
    expect(BookList.safeParse({ items: [], nextCursor: null }).success).toBe(true);
    expect(BookList.safeParse({ items: [] }).success).toBe(false);
  });
});

describe('user bodies', () => {
  it('normalises email and username to lower case', () => {
    const body = RegisterRequest.parse({
      email: ' Ada@Example.COM ',
      username: 'Ada_L',
      password: 'correct horse',
      displayName: ' Ada ',
    });
    expect(body).toEqual({ email: 'ada@example.com', username: 'ada_l', password: 'correct horse', displayName: 'Ada' });
  });
  it('login needs exactly one of email or username', () => {
    expect(LoginRequest.safeParse({ email: 'a@b.co', password: 'x' }).success).toBe(true);
    expect(LoginRequest.safeParse({ username: 'ada', password: 'x' }).success).toBe(true);
    expect(LoginRequest.safeParse({ password: 'x' }).success).toBe(false);
    expect(LoginRequest.safeParse({ email: 'a@b.co', username: 'ada', password: 'x' }).success).toBe(false);
  });
  it('me patch rejects unknown fields, empty bodies and password changes without the current one', () => {
    expect(UpdateMeRequest.safeParse({ roles: ['admin'] }).success).toBe(false);
    expect(UpdateMeRequest.safeParse({}).success).toBe(false);
    expect(UpdateMeRequest.safeParse({ newPassword: 'long enough' }).success).toBe(false);
    expect(UpdateMeRequest.safeParse({ newPassword: 'long enough', currentPassword: 'old' }).success).toBe(true);
    expect(UpdateMeRequest.safeParse({ bio: 'Writes at night.' }).success).toBe(true);
  });
});

describe('content bodies', () => {
  it('fills defaults of a new book and caps tags at 10', () => {
    expect(CreateBookRequest.parse({ title: 'Dune' })).toMatchObject({
      contentType: 'novel',
      visibility: 'private',
      tags: [],
      language: 'en',
    });
    expect(CreateBookRequest.safeParse({ title: 'x', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }).success).toBe(false);
  });
  it('cannot publish through PATCH', () => {
    expect(UpdateBookRequest.safeParse({ status: 'published' }).success).toBe(false);
    expect(UpdateBookRequest.safeParse({ status: 'review' }).success).toBe(true);
  });
  it('counts words ignoring markdown punctuation', () => {
    expect(countWords('# Title\n\nIt was a *dark* night — wasn’t it?')).toBe(8);
  });
});

describe('envelopes', () => {
  it('error envelope has code, message, details', () => {
    expect(ErrorEnvelope.safeParse({ error: { code: 'not_found', message: 'No such book', details: [] } }).success).toBe(true);
    expect(ErrorEnvelope.safeParse({ error: { code: 'NotFound', message: 'x', details: [] } }).success).toBe(false);
  });
  it('event envelope', () => {
    const event = {
      id: '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e',
      type: 'user.created',
      source: 'user',
      time: '2026-11-28T10:00:00.000Z',
      subject: '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e',
      data: {},
      correlationId: 'req-1',
    };
    expect(EventEnvelope.safeParse(event).success).toBe(true);
    expect(EventEnvelope.safeParse({ ...event, type: 'UserCreated' }).success).toBe(false);
  });
});

describe('word count', () => {
  it('counts words across scripts, keeping contractions and hyphenations whole', () => {
    expect(countWords("It's a well-known fact — 42 times.")).toBe(6);
    expect(countWords('Война и мир')).toBe(3);
    expect(countWords('')).toBe(0);
  });
  it('handles a long chapter in linear time', () => {
    expect(countWords('word '.repeat(200_000))).toBe(200_000);
  });
});
