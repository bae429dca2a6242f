// Next.js's ambient types (CSS modules, images), also present in the generated,
// git-ignored next-env.d.ts. Committed so `npm run typecheck` works on a fresh
// clone before any `next build` or `next dev`.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
