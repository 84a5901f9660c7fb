/**
 * Where a record is nested too deeply: the path of keys down to the point past `depth`
 * levels, so a record that overflowed the stack (JSON.stringify and the schemas recurse) is
 * refused naming its field. Runs only on that failure, never on the hot path.
 */
export function deepPath(text: string, depth = 64): string {
  const keys: (string | null)[] = [];
  let key: string | null = null;
  let level = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      key = text.slice(i + 1, j);
      i = j;
    } else if (c === '{' || c === '[') {
      // An object member's key names the container it opens; array elements go by their array's name.
      keys.push(level === 0 ? null : key);
      key = null;
      if (++level > depth) break;
    } else if (c === '}' || c === ']') {
      keys.pop();
      level--;
    } else if (c === ',') key = null;
  }
  const path = keys.filter((k): k is string => k !== null);
  return path.length > 0 ? path.slice(0, 8).join('.') + (path.length > 8 ? '…' : '') : '(record)';
}
