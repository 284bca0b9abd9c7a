#!/usr/bin/env node
// Only the runner, not the whole @oclif/core index: start-up time counts for every command.
import { execute } from '@oclif/core/execute';

await execute({ dir: import.meta.url });
