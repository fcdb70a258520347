export { ManifestError } from './errors.ts';
export { formatKeyPath, loadManifest, parseManifest, templateReferences, type LoadedManifest } from './load.ts';
export { composeManifests, routeKey, type ComposeOptions, type ComposedApp, type ComposedSection } from './compose.ts';
export { renderComposedManifest } from './render.ts';
export * as schema from './schema.ts';
export type { Component, ComponentBuild, HttpTrigger, Manifest, ManifestVariable, RedisTrigger } from './schema.ts';
