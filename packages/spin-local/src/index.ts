export { type BackendOptions, type SpinApp, type SpinAppOptions, StartupError, findRepoRoot, startSpinApp } from './app.ts';
export { type SqlClient, type SqlClientOptions } from './backends/postgres.ts';
export { type Logger, MemoryLogger, consoleLogger } from './logger.ts';
export { RouteTable, type RouteMatch, spinHeaders } from './routes.ts';
export { isAllowedOutbound } from './outbound-hosts.ts';
export { openSqlClient } from './sql-client.ts';
export { ensureDevSecrets, devSecretsFile } from './dev-secrets.ts';
export { type TestApp, type TestAppOptions, startApp } from './harness.ts';
export { applyMigrations, planMigrations, type ServiceMigrations } from './migrations.ts';
