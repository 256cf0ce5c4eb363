#!/usr/bin/env node
// The `redwing` executable. It registers tsx so the TypeScript sources run as they are: `npx redwing …`
// works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
