'use strict';
// Node's utimes and lutimes take times as a double of seconds, which holds ~0.24 us at today's dates:
// restoring a file's time to the nanosecond needs utimensat itself. And a walk of the work tree
// lists each directory with every name's lstat in one call, several directories at once on threads
// (see src/core/list-directory.ts).
module.exports = require('./build/Release/store_native.node');
