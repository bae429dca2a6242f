/** Per-file setup: fixed test secrets so modules that need them can load. */
import { randomBytes } from 'node:crypto';
import { setEnvValue, hasEnvValue } from '../app/_server/env';

if (!hasEnvValue('NEXTAUTH_SECRET')) setEnvValue('NEXTAUTH_SECRET', randomBytes(32).toString('base64'));
// Worker processes the tests start check every bucket summary they settle.
if (!hasEnvValue('BACKFLOW_VERIFY_SUMMARIES')) setEnvValue('BACKFLOW_VERIFY_SUMMARIES', '1');
if (!hasEnvValue('BACKFLOW_ENCRYPTION_KEY')) setEnvValue('BACKFLOW_ENCRYPTION_KEY', randomBytes(32).toString('base64'));
