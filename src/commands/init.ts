import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { parseChunkSizeSpec, validateZstdLevel, DEFAULT_ZSTD_LEVEL } from '../repository/config.js';
import { Repository } from '../repository/repository.js';

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Create an empty repository (.store/) in DIR or the current directory.';
  static override description =
    `Chunking parameters and the compression level are fixed here: changing them later would cut the same content elsewhere and defeat deduplication.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init ~/photos --chunk-size 64K:256K:1M'];
  static override args = {
    dir: Args.string({ description: 'directory to make a work tree (created if missing)', default: '.' }),
  };
  static override flags = {
    'chunk-size': Flags.string({ description: 'FastCDC chunk sizes MIN:AVG:MAX (K and M suffixes)', default: '32K:64K:256K' }),
    'compression-level': Flags.integer({ description: 'zstd level, 1-22', default: DEFAULT_ZSTD_LEVEL }),
    shared: Flags.string({
      description:
        'who may read and write the repository: only its owner (private: folders 0700, files 0600), or its group too (group: 2770 and 0660), whatever the umask',
      options: ['private', 'group'],
      default: 'private',
    }),
  };

  async run(): Promise<void> {
    const chunking = parseChunkSizeSpec(this.flags['chunk-size']);
    validateZstdLevel(this.flags['compression-level']);
    const repo = Repository.init(this.args.dir, { chunking, zstdLevel: this.flags['compression-level'], sharing: this.flags.shared as 'private' | 'group' });
    if (this.flags.json) {
      this.printJson({
        repository: repo.layout.storeDirectory,
        shared: this.flags.shared,
        formatVersion: repo.config.formatVersion,
        chunking: repo.config.chunking,
        compression: repo.config.compression,
      });
    } else {
      this.say(`Initialized empty store repository in ${repo.layout.storeDirectory}`);
    }
    repo.close();
  }
}
