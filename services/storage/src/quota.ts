import { Quota } from '@authorworks/domain';
import { defineRoute, json, queryOne, sqlInt } from '@authorworks/kit';
import { z } from 'zod';
import { usedBytes } from './reservations.ts';
import { storageSettings } from './settings.ts';
import { sweepAbandoned, SWEEP_KEY } from './sweep.ts';

/** `GET /quota`: the caller's bytes held (every version, pending uploads included), allowed, and file count. */
export const getQuota = defineRoute({ auth: 'required', readAlong: [SWEEP_KEY], responses: { 200: Quota } }, async (context) => {
  await sweepAbandoned(context);
  const settings = storageSettings(context.config);
  const db = context.db();
  const files = await queryOne(
    db,
    z.object({ n: sqlInt }),
    `SELECT count(*)::int8 AS n FROM files WHERE owner_id = $1::text::uuid AND status <> 'deleted'`,
    [context.principal.userId],
  );
  return json({ usedBytes: await usedBytes(db, context.principal.userId), allowedBytes: settings.quotaBytes, files: files?.n ?? 0 });
});
