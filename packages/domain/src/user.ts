import { z } from 'zod';
import { Id, JsonValue, Page, PageQuery, Timestamp } from './common.ts';
import { eventOf } from './events.ts';

export const Role = z.enum(['user', 'admin']);
export type Role = z.infer<typeof Role>;

export const UserStatus = z.enum(['active', 'suspended']);
export type UserStatus = z.infer<typeof UserStatus>;

/** Emails are compared case-insensitively, so they are stored lower-cased. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((email) => email.toLowerCase());

/** 3–32 characters, letters, digits, `_`, `.`, `-`; stored lower-cased so `Ada` and `ada` collide. */
export const Username = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]$/, 'Use letters, digits, "_", "." or "-"')
  .transform((username) => username.toLowerCase());

/** Length only: composition rules push people to worse passwords (NIST SP 800-63B). */
export const Password = z.string().min(8).max(128);

export const DisplayName = z.string().trim().min(1).max(100);

export const Profile = z.object({
  bio: z.string().max(2000),
  avatarFileId: Id.nullable(),
  website: z.url({ protocol: /^https?$/ }).max(300).nullable(),
  location: z.string().max(100),
});
export type Profile = z.infer<typeof Profile>;

/** The account as its owner (or an admin) sees it. */
export const User = z.object({
  id: Id,
  email: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(Role),
  status: UserStatus,
  profile: Profile,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastLoginAt: Timestamp.nullable(),
});
export type User = z.infer<typeof User>;

/** What anybody may see of a user: no email, status, roles or login times. */
export const PublicProfile = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  bio: z.string(),
  avatarFileId: Id.nullable(),
  website: z.string().nullable(),
  location: z.string(),
  createdAt: Timestamp,
});
export type PublicProfile = z.infer<typeof PublicProfile>;

export const RegisterRequest = z.object({
  email: Email,
  username: Username,
  password: Password,
  displayName: DisplayName,
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

/** Log in with exactly one of `email` or `username`. */
export const LoginRequest = z
  .object({
    email: Email.optional(),
    username: Username.optional(),
    password: z.string().min(1).max(128),
  })
  .refine((body) => (body.email === undefined) !== (body.username === undefined), {
    message: 'Give exactly one of email or username',
    path: ['email'],
  });
export type LoginRequest = z.infer<typeof LoginRequest>;

export const RefreshRequest = z.object({ refreshToken: z.string().min(1).max(512) });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const LogoutRequest = RefreshRequest;
export type LogoutRequest = RefreshRequest;

export const TokenResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until `accessToken` expires. */
  expiresIn: z.number().int().positive(),
  user: User,
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/**
 * `PATCH /v1/users/me`: any of the account and profile fields; a password change needs the
 * current password and ends every other session.
 */
export const UpdateMeRequest = z
  .object({
    email: Email,
    username: Username,
    displayName: DisplayName,
    bio: Profile.shape.bio,
    avatarFileId: Profile.shape.avatarFileId,
    website: Profile.shape.website,
    location: Profile.shape.location,
    newPassword: Password,
    currentPassword: z.string().min(1).max(128),
  })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).some((key) => key !== 'currentPassword'), {
    message: 'Give at least one field to change',
    path: [],
  })
  .refine((body) => body.newPassword === undefined || body.currentPassword !== undefined, {
    message: 'Changing the password needs currentPassword',
    path: ['currentPassword'],
  });
export type UpdateMeRequest = z.infer<typeof UpdateMeRequest>;

/** Preference keys are short identifiers like `editor.fontSize`. */
export const PreferenceKey = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'Use letters, digits, "_", "." or "-"');

export const Preference = z.object({ key: z.string(), value: JsonValue, updatedAt: Timestamp });
export type Preference = z.infer<typeof Preference>;

export const PutPreferenceRequest = z.object({ value: JsonValue });
export type PutPreferenceRequest = z.infer<typeof PutPreferenceRequest>;

export const PreferenceList = Page(Preference);
export type PreferenceList = z.infer<typeof PreferenceList>;

export const UserParams = z.object({ id: Id });

/** Answer of `GET /v1/users/auth/verify` (also sent as `X-User-Id` and `X-User-Roles`). */
export const VerifiedCaller = z.object({ userId: Id, roles: z.array(z.string()) });
export type VerifiedCaller = z.infer<typeof VerifiedCaller>;
export const PreferenceParams = z.object({ key: PreferenceKey });

export const AdminUserListQuery = PageQuery.extend({
  status: UserStatus.optional(),
  /** Prefix of the username or email. */
  q: z.string().trim().min(1).max(100).optional(),
});
export type AdminUserListQuery = z.infer<typeof AdminUserListQuery>;

export const UserList = Page(User);
export type UserList = z.infer<typeof UserList>;

export const UpdateUserStatusRequest = z.object({
  status: UserStatus,
  reason: z.string().max(500).optional(),
});
export type UpdateUserStatusRequest = z.infer<typeof UpdateUserStatusRequest>;

/** Data of `user.*` events: enough for other services to show a name without calling back. */
export const UserEventData = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  email: z.string(),
  roles: z.array(Role),
  status: UserStatus,
});
export type UserEventData = z.infer<typeof UserEventData>;

export const UserCreatedEvent = eventOf('user.created', UserEventData);
export const UserUpdatedEvent = eventOf(
  'user.updated',
  UserEventData.extend({ changed: z.array(z.string()) }),
);
export const UserDeletedEvent = eventOf('user.deleted', z.object({ id: Id }));

export const UserEventType = {
  created: 'user.created',
  updated: 'user.updated',
  deleted: 'user.deleted',
} as const;
