/** What the storage detectors share: categories, the diagnostic setting, operation groups. */
export const STORAGE_CATEGORIES = ['StorageRead', 'StorageWrite', 'StorageDelete'] as const;

export const STORAGE_SETTING = 'Diagnostic setting on the storage account\'s blob service (and file/queue/table if used) with StorageRead, StorageWrite and StorageDelete sent to the Event Hub auditlake reads.';

/** Reads that return object content. */
export const CONTENT_READS: ReadonlySet<string> = new Set(['GetBlob', 'GetFile', 'ReadFile', 'GetBlobContent']);

/** Listings: container, blob, share, directory and path listings. */
export const LISTINGS: ReadonlySet<string> = new Set(['ListBlobs', 'ListContainers', 'ListShares', 'ListFilesAndDirectories', 'ListFilesystems', 'ListFilesystemDir', 'ListPaths']);

/** Server-side copies whose source is another URL (possibly another account). */
export const COPIES: ReadonlySet<string> = new Set(['CopyBlob', 'StartCopyBlob', 'CopyBlobFromURL', 'CopyBlobFromUrl', 'PutBlobFromURL', 'PutBlobFromUrl', 'PutBlockFromURL', 'PutBlockFromUrl', 'CopyFile']);
