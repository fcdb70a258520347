#!/usr/bin/env node
// Entry for `spin build` and the services' `build` script: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/build.ts');
