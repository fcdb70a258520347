export { assertSpinComponent, buildComponent, bundleComponent, ComponentBuildError, type BuildRequest, type BuildResult, type Compile } from './build-component.ts';
export { buildAll, selectTargets, type BuildAllOptions, type BuildSummary } from './build.ts';
export { listComponentTargets, type ComponentTarget, type SpinWorld } from './components.ts';
export { COMPOSED_MANIFEST, renderSpinAll } from './compose.ts';
export { findRepoRoot, listServiceDirs } from './workspace.ts';
