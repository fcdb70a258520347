// The kit's root export: everything that runs anywhere — Node, unit tests, components — with no
// `fermyon:spin/*` import. The Spin binding is `@authorworks/kit/spin`, imported only by a
// component's entry (`src/index.ts`, `src/worker.ts`).
export { createApiWithHost, defineRoute, type Api, type ApiOptions, type RouteHandler, type Route, type RouteSpec } from './api.ts';
export type { NonJsonBody, ResponseBody } from './openapi.ts';
export { clientAddressOf, type AuthRequirement, type RequestContext, type RouteContext } from './context.ts';
// The request pipeline's steps stay internal (api.ts assembles them); services configure them
// through the route spec (`auth`, schemas, `maxBodyBytes`, `throttle`).
export { corsHeaders, parseCorsOrigins } from './middleware/cors.ts';
export { failureResponse } from './middleware/failure-response.ts';
export { type Middleware } from './middleware/pipeline.ts';
export { requestIdOf } from './middleware/request-id.ts';
export { type ThrottleRule } from './middleware/throttle.ts';
export { authenticate, bearerToken, hasRole, requireRole, type Principal } from './auth.ts';
export { verifyCaller } from './middleware/authenticate.ts';
export {
  REVOCATION_TTL_SECONDS,
  assertNotRevoked,
  endedSessionKey,
  issuedAtMs,
  revokeSessionTokens,
  revokeUserTokens,
  tokenRevoked,
  userEpochKey,
} from './revocation.ts';
export { DEFAULT_MAX_BODY_BYTES, forwardable, isJsonMediaType, readBodyBytes, readJsonBody } from './body.ts';
export { CATCH_UP_BATCH, catchUp } from './catch-up.ts';
export { Config, ConfigError, MIN_AUTH_SECRET_LENGTH, type VariableSource } from './config.ts';
export { sha256Hex } from './digest.ts';
export { base64UrlDecode, base64UrlEncode, constantTimeEqual, fromUtf8, toHex, utf8 } from './encoding.ts';
export {
  HttpError,
  badRequest,
  conflict,
  errorEnvelope,
  errorResponse,
  forbidden,
  notFound,
  tooManyRequests,
  unauthorized,
  unprocessable,
} from './errors.ts';
export {
  createEvent,
  createEventConsumer,
  createEventPublisher,
  decodeEvent,
  on,
  TICK_EVENT_TYPE,
  type ConsumerMaintenance,
  type EventConsumerOptions,
  type EventContext,
  type EventHandler,
  type EventPublisher,
  type Idempotency,
} from './events.ts';
export {
  EVENT_LOG_MAX_LENGTH,
  appendEventLog,
  eventLogKey,
  parseEventLogId,
  readEventLog,
  type EventLogEntry,
  type EventLogPosition,
} from './event-log.ts';
export type { Host } from './host.ts';
export {
  DELEGATED_TOKEN_TTL_SECONDS,
  JOB_LIMITS,
  JOB_STATES,
  JobEventType,
  JobView,
  cancelJob,
  cancelOwnerJobs,
  claimJob,
  completeJob,
  createJobWorker,
  deferJob,
  enqueueJob,
  failJob,
  getJob,
  heartbeatJob,
  job,
  listOwnerJobs,
  sweepJobs,
  type ClaimedJob,
  type JobContext,
  type JobHandler,
  type JobSpec,
  type JobState,
  type JobWorkerOptions,
  JobContinues,
  JobPending,
  type JobPendingOptions,
  OwnerRevokedError,
  PermanentJobError,
  isPermanentJobError,
  wakeJob,
  type OwnerJobsFilter,
  type SweepResult,
} from './jobs.ts';
export { OwnerJobsQuery, jobAdminRoutes, ownerJobRoutes } from './jobs-admin.ts';
export {
  ACCESS_TOKEN_TTL_SECONDS,
  AccessTokenClaims,
  CLOCK_SKEW_SECONDS,
  JWT_AUDIENCE,
  JWT_ISSUER,
  TokenError,
  signAccessToken,
  verifyAccessToken,
  type TokenFailure,
} from './jwt.ts';
export {
  MAX_PRESIGN_SECONDS,
  MULTIPART_MAX_PARTS,
  MULTIPART_MIN_PART_BYTES,
  createObjectStore,
  objectStoreFromConfig,
  signS3Request,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreOptions,
  type PresignedResponseHeaders,
  type PutOptions,
  type StoredObject,
  type UploadedPart,
} from './object-store.ts';
export { LOG_LEVELS, consoleSink, createLogger, parseLogLevel, type LogLevel, type Logger, type LogSink } from './logging.ts';
export {
  changeWithEvents,
  flushOutbox,
  outboxInsertSql,
  outboxParams,
  recordEvent,
  sweepOutbox,
  type FlushResult,
  type OutboxEvent,
  type OutboxSweepOptions,
  type PendingEvent,
} from './outbox.ts';
export { CursorBigint, CursorInteger, CursorTimestamp, decodeCursor, encodeCursor, pageOf } from './pagination.ts';
export { MAX_INPUT_DEPTH, assertStorableInput, inputProblem, unstorableText } from './input-text.ts';
export { DECOY_PASSWORD_HASH, PASSWORD_HASH_PARAMETERS, hashPassword, needsRehash, verifyPassword, type ScryptParameters } from './passwords.ts';
export { randomBytes, randomToken, randomUuid } from './random.ts';
export { hitRateLimit, peekRateLimit, refundRateLimit, resetRateLimit, type RateLimit, type RateLimitState } from './rate-limit.ts';
export {
  expire,
  redisNumber,
  redisText,
  setIfAbsent,
  timeToLive,
  type RedisClient,
  type RedisValue,
} from './redis.ts';
export { created, json, noContent } from './responses.ts';
export {
  RowShapeError,
  SqlError,
  constraintOf,
  execute,
  isoTimestamp,
  queryOne,
  queryRows,
  sqlBool,
  sqlInt,
  sqlJson,
  transaction,
  type SqlClient,
  type SqlParam,
  type SqlRow,
} from './sql.ts';
export { issueDetails, queryObject, validate, type InputPart } from './validation.ts';
