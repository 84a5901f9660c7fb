/**
 * The Parquet files of an `auditlake export` folder, as its layout names them:
 * `category=…/date=…/*.parquet`, sorted. Listed here rather than by DuckDB's `glob()`, which took
 * 60–70 ms over 1,197 files against ~20 ms (then ~16 ms to hand the list to DuckDB as one bound
 * value): `query --parquet` lists them on every run.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';

/** The entry's kind, through a symbolic link (a folder moved to another disk and linked back). */
function kind(dir: string, e: Dirent): 'dir' | 'file' | 'other' {
  if (e.isSymbolicLink()) {
    const target = statSync(`${dir}/${e.name}`, { throwIfNoEntry: false });
    return target?.isDirectory() ? 'dir' : target?.isFile() ? 'file' : 'other';
  }
  return e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
}

/** The names in `dir` of the given kind that start with `prefix`. */
function entries(dir: string, want: 'dir' | 'file', prefix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.name.startsWith(prefix) && kind(dir, e) === want).map((e) => e.name);
}

/** Every export file under `dir`, sorted; throws when `dir` cannot be read. */
export function exportFiles(dir: string): string[] {
  const root = dir.replace(/(.)\/+$/, '$1');
  const files: string[] = [];
  for (const category of entries(root, 'dir', 'category=')) {
    for (const date of entries(`${root}/${category}`, 'dir', 'date=')) {
      const folder = `${root}/${category}/${date}`;
      // A dot-name (a copy's or an editor's leftover) is not one of the export's parts.
      for (const name of entries(folder, 'file', '')) if (name.endsWith('.parquet') && !name.startsWith('.')) files.push(`${folder}/${name}`);
    }
  }
  return files.sort();
}

/**
 * `exportFiles` for a process that keeps reading the folder (`serve --parquet`): listed again
 * when a day or a category was exported since, which adds a `date=` folder to its category's
 * folder or a `category=` folder to the root, changing that folder's modification time. A day
 * exported again keeps its file names (the files' new contents are DuckDB's to notice).
 */
export function watchedExportFiles(dir: string): () => string[] {
  const root = dir.replace(/(.)\/+$/, '$1');
  let seen = '';
  let files: string[] = [];
  return () => {
    // Taken before listing: a change during the listing shows next time.
    const now = [statSync(root).mtimeMs, ...entries(root, 'dir', 'category=').map((c) => `${c}@${statSync(`${root}/${c}`).mtimeMs}`)].join('|');
    if (now !== seen) {
      files = exportFiles(root);
      seen = now;
    }
    return files;
  };
}

/**
 * The folders, as their real paths, that hold an export's files: the folder itself, and each
 * `category=` or `date=` folder linked in from elsewhere. DuckDB resolves links before it checks
 * a file against the folders a restricted reader may read (src/store/reader.ts).
 */
export function exportFolders(dir: string): string[] {
  const root = realpathSync(dir);
  const folders = [root];
  const real = (path: string) => {
    const resolved = realpathSync(path);
    if (resolved !== path) folders.push(resolved);
    return resolved;
  };
  for (const category of entries(root, 'dir', 'category=')) {
    const c = real(`${root}/${category}`);
    for (const date of entries(c, 'dir', 'date=')) real(`${c}/${date}`);
  }
  return folders;
}
