/**
 * Canvas keyboard shortcuts: the key → action table (shown in the "?" help
 * popover) and the rule that none fires while the user types in an input,
 * a select or a code editor.
 */
export type ShortcutAction = 'delete' | 'copy' | 'paste' | 'undo' | 'redo' | 'save' | 'preview' | 'publish' | 'layout' | 'fit' | 'help' | 'escape';

export type KeyLike = { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean };

export const SHORTCUTS: { keys: string; action: ShortcutAction; does: string }[] = [
  { keys: 'Delete / Backspace', action: 'delete', does: 'Remove the selected nodes or edges' },
  { keys: 'Ctrl/⌘ + C', action: 'copy', does: 'Copy the selected nodes' },
  { keys: 'Ctrl/⌘ + V', action: 'paste', does: 'Paste nodes (with new ids)' },
  { keys: 'Ctrl/⌘ + Z', action: 'undo', does: 'Undo' },
  { keys: 'Shift + Ctrl/⌘ + Z', action: 'redo', does: 'Redo' },
  { keys: 'Ctrl/⌘ + S', action: 'save', does: 'Save the draft now' },
  { keys: 'Ctrl/⌘ + Enter', action: 'preview', does: 'Preview the selected node' },
  { keys: 'Ctrl/⌘ + Shift + P', action: 'publish', does: 'Publish' },
  { keys: 'Shift + L', action: 'layout', does: 'Auto-layout' },
  { keys: 'F', action: 'fit', does: 'Fit the view' },
  { keys: '?', action: 'help', does: 'Show these shortcuts' },
];

/** The action for a key press, or null. Ctrl and ⌘ are the same modifier. */
export function shortcutFor(e: KeyLike): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return null;
  if (mod) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y' && !e.shiftKey) return 'redo';
    if (key === 'c' && !e.shiftKey) return 'copy';
    if (key === 'v' && !e.shiftKey) return 'paste';
    if (key === 's' && !e.shiftKey) return 'save';
    if (key === 'Enter') return 'preview';
    if (key === 'p' && e.shiftKey) return 'publish';
    return null;
  }
  if (key === 'Delete' || key === 'Backspace') return 'delete';
  if (key === 'Escape') return 'escape';
  if (key === 'l' && e.shiftKey) return 'layout';
  if (key === 'f' && !e.shiftKey) return 'fit';
  if (e.key === '?') return 'help';
  return null;
}

export type TargetLike = { tagName?: string; isContentEditable?: boolean; closest?: (selector: string) => unknown } | null;

/** True inside inputs, selects, text areas, contenteditable and CodeMirror editors. */
export function isTypingTarget(t: TargetLike): boolean {
  if (!t) return false;
  const tag = (t.tagName ?? '').toUpperCase();
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (t.isContentEditable) return true;
  return Boolean(t.closest?.('.cm-editor, [contenteditable="true"], [role="textbox"]'));
}

/**
 * Whether a shortcut applies to the canvas for this key press: in a typing
 * target only save and preview work (they never change the text).
 */
export function canvasShortcut(e: KeyLike, target: TargetLike): ShortcutAction | null {
  const action = shortcutFor(e);
  if (!action) return null;
  if (isTypingTarget(target) && action !== 'save' && action !== 'preview' && action !== 'publish') return null;
  return action;
}
