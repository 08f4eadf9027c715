// @fustor/source-fs: the file-system source driver (snapshot, realtime, audit, sentinel, drift).

export * from './types.js';
export { createFsSource } from './fs-source.js';
export { chunkEvents, eventsChunk, plainListings } from './chunks.js';
export { SourceRootError, OutsideRootError, SourceOptionsError, SourceNotStartedError, SOURCE_ERROR_CODES } from './errors.js';
export { encodeNameBytes, decodeSegment } from './names.js';
export { estimateDrift } from './clock/drift.js';
export { kindOf, kindOfMode, metaOf, type EntryMeta } from './meta.js';
