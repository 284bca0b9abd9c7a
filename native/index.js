'use strict';
// Node's utimes and lutimes take times as a double of seconds, which holds ~0.24 us at today's dates:
// restoring a file's time to the nanosecond needs utimensat itself.
module.exports = require('./build/Release/store_native.node');
