/** Constants shared by the browser and the server. */

/** Carries the selected workspace id on tRPC requests. */
export const WORKSPACE_HEADER = 'x-backflow-workspace';
