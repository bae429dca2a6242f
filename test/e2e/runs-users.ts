/** TEST INFRASTRUCTURE: the members runs-seed.ts creates, and runs-browser-check.ts signs in as. */
export const UI_PASSWORD = 'ui-password-123';
export const UI_ADMIN = 'ui@test.local';
/** One member per other role: `${role}@test.local`. */
export const uiMember = (role: 'viewer' | 'operator' | 'editor') => `${role}@test.local`;
