/**
 * `npm run build:workflows`: bundles the workflow code once into
 * .data/build/workflow-bundle.js. Workers started with
 * BACKFLOW_WORKFLOW_BUNDLE pointing at it skip webpack at start-up.
 */
import path from 'node:path';
import { env } from '../app/_server/env';
import { writeWorkflowBundle } from '../workflows/temporal/worker';

export function bundleFile(): string {
  return path.join(env().dataDir, 'build', 'workflow-bundle.js');
}

const file = bundleFile();
await writeWorkflowBundle(file);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
