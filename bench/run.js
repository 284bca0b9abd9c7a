#!/usr/bin/env node
// Benchmark: store against git, restic and borg (where installed) and the physical references
// zstd -3 -T2, b3sum and cp, on real data, alternating tools within each run. Prints a Markdown
// table of medians and writes it, with the raw samples, to bench/results/.
//
//   node bench/run.js [--runs N] [--quick] [--tools store,git,restic,borg,zstd,b3sum,cp] [--before DIR]
//
// --quick uses a 512 MiB large file instead of 2 GiB. --before DIR adds another build of store (a
// checkout with `npm run build` done) as the tool "store-before", run alternately with this one, so
// that a change is compared with what came before it on the machine's same hour. Datasets are built once under bench/.data
// (or $STORE_BENCH_DATA) from files of this machine: /usr/include and /usr/share/doc for the small
// tree, a tar of /usr/lib parts for the large file.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { BENCH_ENV, hasCommand } from './env.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STORE = join(ROOT, 'bin', 'run.js');
const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 3);
const LARGE_BYTES = args.quick ? 512 * 2 ** 20 : 2 * 2 ** 30;
const DATA = resolve(process.env.STORE_BENCH_DATA ?? join(ROOT, 'bench', '.data'));
const WORK = join(ROOT, 'bench', '.work');
const ENV = BENCH_ENV;

const has = hasCommand;

function sh(script, options = {}) {
  execFileSync('sh', ['-c', script], { stdio: 'inherit', env: ENV, ...options });
}

/**
 * Runs a shell script under GNU time: wall seconds, CPU seconds, peak RSS (largest process) in MB.
 * Dirty pages left by earlier steps (another tool's repository, a deleted restore) are flushed
 * first, so that no tool pays for the write-back of the one before it.
 */
/**
 * Reads a file into the page cache. This VM pages out memory left untouched for about a minute
 * (a DAMON pageout scheme: /sys/kernel/mm/damon/admin/kdamonds/0), so a dataset read minutes earlier
 * may come from disk again; each tool's step starts with its input cached, alike for all.
 */
function warm(path) {
  execFileSync('sh', ['-c', `cat "${path}" > /dev/null`]);
}

function measure(script, cwd) {
  execFileSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', script], { cwd, env: ENV, encoding: 'utf8', maxBuffer: 1 << 26 });
  const lines = result.stderr.trim().split('\n');
  const [wall, user, system, maxKb] = lines[lines.length - 1].split(' ').map(Number);
  if (result.status !== 0) throw new Error(`failed (${result.status}): ${script}\n${result.stderr}`);
  return { wallS: wall, cpuS: user + system, rssMB: maxKb / 1024 };
}

function duBytes(path) {
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

// ---------- datasets ----------

function buildDatasets() {
  mkdirSync(DATA, { recursive: true });
  const small = join(DATA, 'small');
  if (!existsSync(join(small, '.complete'))) {
    rmSync(small, { recursive: true, force: true });
    mkdirSync(small, { recursive: true });
    console.error('building small tree: copies of /usr/include and /usr/share/doc');
    sh(`cp -a /usr/include ${small}/include && cp -a /usr/share/doc ${small}/doc && find ${small} -type l -delete`);
    writeFileSync(join(small, '.complete'), '');
  }
  const largeName = `large-${LARGE_BYTES}.tar`;
  const large = join(DATA, largeName);
  if (!existsSync(large)) {
    console.error(`building ${largeName}: a tar of /usr/lib parts, cut at ${LARGE_BYTES} bytes`);
    const parts = ['x86_64-linux-gnu', 'jvm', 'llvm-14', 'gcc', 'google-cloud-sdk', 'python3', 'postgresql'].filter((p) => existsSync(`/usr/lib/${p}`));
    sh(`tar cf - --ignore-failed-read -C /usr/lib ${parts.join(' ')} 2>/dev/null | head -c ${LARGE_BYTES} > ${large}.tmp && mv ${large}.tmp ${large}`);
    if (statSync(large).size < LARGE_BYTES) console.error(`warning: /usr/lib gave only ${statSync(large).size} bytes`);
  }
  const edited = join(DATA, `${largeName}.edited`);
  if (!existsSync(edited)) {
    console.error('building the edited large file: 3 insertions of 100 bytes near the start and the middle');
    insertBytes(large, edited, [4096, Math.floor(statSync(large).size / 2), Math.floor(statSync(large).size / 2) + 10 * 2 ** 20]);
  }
  return { small, large, edited };
}

/** Copies `source` to `target`, inserting 100 bytes of text before each offset. */
function insertBytes(source, target, offsets) {
  const input = openSync(source, 'r');
  const output = openSync(target, 'w');
  const buffer = Buffer.allocUnsafe(8 << 20);
  let position = 0;
  const size = statSync(source).size;
  for (const offset of [...offsets, size]) {
    while (position < offset) {
      const n = readSync(input, buffer, 0, Math.min(buffer.length, offset - position), position);
      writeSync(output, buffer, 0, n);
      position += n;
    }
    if (offset < size) writeSync(output, Buffer.from(`inserted at ${offset} `.padEnd(100, '#')));
  }
  closeSync(input);
  closeSync(output);
}

/** Where store and git keep their repositories inside the work tree (restic's and borg's are beside it). */
const REPOSITORY_DIRECTORIES = new Set(['.store', '.git']);

/** Changes 1% of the files of a tree (every 100th file in sorted order): appends a line. */
function changeOnePercent(tree) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      if (dir === tree && REPOSITORY_DIRECTORIES.has(name)) continue; // the tool's own files are not the user's
      const path = join(dir, name);
      const stats = statSync(path, { throwIfNoEntry: false });
      if (!stats) continue;
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile()) files.push(path);
    }
  };
  walk(tree);
  let changed = 0;
  for (let i = 0; i < files.length; i += 100) {
    appendFileSync(files[i], `\nchanged by the benchmark ${i}\n`);
    changed++;
  }
  return changed;
}

// ---------- tools ----------

// As its users run it: the file executed (npm links it as `store`), not `node bin/run.js`.
function storeAdapter(bin) {
  return {
    available: () => existsSync(bin),
    init: (work) => `${bin} init -q ${work}`,
    snapshot: () => `${bin} add -A -q && ${bin} commit -q -m snapshot`,
    repoBytes: (work) => duBytes(join(work, '.store')),
    restore: (_work, file, out) => `${bin} get ${file} -o ${out}`,
    restoreTree: (_work, out) => `${bin} checkout -o ${out} HEAD > /dev/null`,
  };
}

const STORE_BEFORE = typeof args.before === 'string' ? join(resolve(args.before), 'bin', 'run.js') : undefined;

const TOOLS = {
  store: storeAdapter(STORE),
  ...(STORE_BEFORE ? { 'store-before': storeAdapter(STORE_BEFORE) } : {}),
  git: {
    available: () => has('git'),
    init: (work) => `git init -q ${work}`,
    snapshot: () => `git add -A && git commit -q -m snapshot`,
    repoBytes: (work) => duBytes(join(work, '.git')),
    restore: (_work, file, out) => `git cat-file blob HEAD:${file} > ${out}`,
    restoreTree: (_work, out) => `mkdir -p ${out} && git --work-tree=${out} checkout -f HEAD -- .`,
  },
  restic: {
    available: () => has('restic'),
    init: (work) => `restic init -q -r ${work}.restic`,
    snapshot: (work) => `restic -q -r ${work}.restic backup --host bench .`,
    repoBytes: (work) => duBytes(`${work}.restic`),
    restore: (work, file, out) => `restic -q -r ${work}.restic dump latest /${file} > ${out}`,
    restoreTree: (work, out) => `restic -q -r ${work}.restic restore latest --target ${out}`,
  },
  borg: {
    available: () => has('borg'),
    init: (work) => `borg init -e none ${work}.borg`,
    snapshot: (work) => `borg create --compression lz4 ${work}.borg::s$(date +%s%N) .`,
    repoBytes: (work) => duBytes(`${work}.borg`),
    restore: (work, file, out) => `borg extract --stdout ${work}.borg::$(borg list --short --last 1 ${work}.borg) ${file} > ${out}`,
    restoreTree: (work, out) => `mkdir -p ${out} && cd ${out} && borg extract ${work}.borg::$(borg list --short --last 1 ${work}.borg)`,
  },
};

const REFERENCES = {
  zstd: {
    available: () => has('zstd'),
    small: (dir) => `tar cf - -C ${dir} . | zstd -3 -T2 -q -c > /dev/null`,
    large: (file) => `zstd -3 -T2 -q -c ${file} > /dev/null`,
  },
  b3sum: {
    available: () => has('b3sum'),
    small: (dir) => `find ${dir} -type f -print0 | xargs -0 b3sum > /dev/null`,
    large: (file) => `b3sum ${file} > /dev/null`,
  },
};

// ---------- workloads ----------

function fresh(path) {
  rmSync(path, { recursive: true, force: true });
  for (const suffix of ['.restic', '.borg']) rmSync(`${path}${suffix}`, { recursive: true, force: true });
}

function smallWorkloads(tool, adapter, small) {
  const work = join(WORK, `${tool}-small`);
  fresh(work);
  cpSync(small, work, { recursive: true });
  rmSync(join(work, '.complete'), { force: true });
  sh(adapter.init(work), { cwd: WORK, stdio: 'ignore' });
  const first = measure(adapter.snapshot(work), work);
  const repoAfterSmall = adapter.repoBytes(work);
  const out = join(WORK, `${tool}-small-restored`);
  rmSync(out, { recursive: true, force: true });
  const restoreTree = measure(adapter.restoreTree(work, out), work);
  // restic and borg restore under the path they backed up: only the trees restored in place are compared.
  if (tool.startsWith('store') || tool === 'git') restoreTree.exact = sameFiles(small, out);
  rmSync(out, { recursive: true, force: true });
  changeOnePercent(work);
  const incremental = measure(adapter.snapshot(work), work);
  fresh(work);
  return {
    'small: first add + commit': first,
    'small: restore the tree': restoreTree,
    'small: 1% changed, add + commit': incremental,
    repoAfterSmallBytes: repoAfterSmall,
  };
}

function largeWorkloads(tool, adapter, large, edited) {
  const work = join(WORK, `${tool}-large`);
  fresh(work);
  mkdirSync(work, { recursive: true });
  execFileSync('ln', [large, join(work, 'lib.tar')]);
  sh(adapter.init(work), { cwd: WORK, stdio: 'ignore' });
  warm(large);
  const first = measure(adapter.snapshot(work), work);
  const repoAfterLarge = adapter.repoBytes(work);
  const out = join(WORK, `${tool}-restored.tar`);
  const restore = measure(adapter.restore(work, 'lib.tar', out), work);
  const restoreExact = sameContent(out, large);
  rmSync(out, { force: true });
  rmSync(join(work, 'lib.tar'));
  execFileSync('ln', [edited, join(work, 'lib.tar')]);
  warm(edited);
  const insert = measure(adapter.snapshot(work), work);
  const addedBytes = adapter.repoBytes(work) - repoAfterLarge;
  fresh(work);
  return {
    'large: first add + commit': first,
    'large: with insertions, add + commit': insert,
    'large: restore': { ...restore, exact: restoreExact },
    repoAfterLargeBytes: repoAfterLarge,
    insertionAddedBytes: addedBytes,
  };
}

/** Every regular file of `source` (less the dataset's marker) is in `copy` with the same bytes and mode. */
function sameFiles(source, copy) {
  const walk = (relative) => {
    for (const name of readdirSync(join(source, relative))) {
      const path = join(relative, name);
      if (path === '.complete') continue;
      const stats = statSync(join(source, path));
      if (stats.isDirectory()) {
        if (!walk(path)) return false;
        continue;
      }
      const copied = statSync(join(copy, path), { throwIfNoEntry: false });
      if (!copied || copied.mode !== stats.mode || !readFileSync(join(source, path)).equals(readFileSync(join(copy, path)))) return false;
    }
    return true;
  };
  return walk('');
}

function sameContent(a, b) {
  return statSync(a).size === statSync(b).size && spawnSync('cmp', ['-s', a, b]).status === 0;
}

function referenceWorkloads(_name, reference, small, large) {
  const smallSample = measure(reference.small(small));
  warm(large);
  return { 'small: first add + commit': smallSample, 'large: first add + commit': measure(reference.large(large)) };
}

function cpRestore(large) {
  const out = join(WORK, 'cp-restored.tar');
  warm(large); // store and the others restore from their repositories, cp from the file itself
  const sample = measure(`cp ${large} ${out}`);
  rmSync(out, { force: true });
  return { 'large: restore': sample };
}

// ---------- statistics and report ----------

function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function report(samples, toolNames) {
  const workloads = [
    'small: first add + commit',
    'small: restore the tree',
    'small: 1% changed, add + commit',
    'large: first add + commit',
    'large: with insertions, add + commit',
    'large: restore',
  ];
  const lines = [];
  const fmt = (v, digits = 2) => (v === undefined ? '-' : v.toFixed(digits));
  const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);
  lines.push(`| workload | tool | wall s | CPU s | peak RSS MB | store/tool wall |`);
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const workload of workloads) {
    const storeWall = median(samples.store?.map((s) => s[workload]?.wallS) ?? []);
    for (const tool of toolNames) {
      const runs = samples[tool] ?? [];
      const wall = median(runs.map((s) => s[workload]?.wallS));
      if (wall === undefined) continue;
      const cpu = median(runs.map((s) => s[workload]?.cpuS));
      const rss = median(runs.map((s) => s[workload]?.rssMB));
      const exact = runs.map((s) => s[workload]?.exact).filter((e) => e !== undefined);
      const note = exact.length ? (exact.every(Boolean) ? ' (byte-exact)' : ' (NOT byte-exact)') : '';
      lines.push(`| ${workload} | ${tool}${note} | ${fmt(wall)} | ${fmt(cpu)} | ${fmt(rss, 0)} | ${tool === 'store' ? '' : ratio(storeWall, wall)} |`);
    }
  }
  lines.push('', '| size | tool | MB |', '| --- | --- | --- |');
  for (const [key, label] of [
    ['repoAfterSmallBytes', 'repository after the small tree'],
    ['repoAfterLargeBytes', 'repository after the large file'],
    ['insertionAddedBytes', 'added by the insertions'],
  ]) {
    for (const tool of toolNames) {
      const value = median((samples[tool] ?? []).map((s) => s[key]));
      if (value !== undefined) lines.push(`| ${label} | ${tool} | ${(value / 1e6).toFixed(2)} |`);
    }
  }
  return lines.join('\n');
}

function main() {
  mkdirSync(WORK, { recursive: true });
  const { small, large, edited } = buildDatasets();
  const smallFiles = Number(execFileSync('sh', ['-c', `find ${small} -type f | wc -l`], { encoding: 'utf8' }));
  const wanted = typeof args.tools === 'string' ? args.tools.split(',') : [...Object.keys(TOOLS), ...Object.keys(REFERENCES), 'cp'];
  const tools = Object.keys(TOOLS).filter((t) => wanted.includes(t) && TOOLS[t].available());
  const references = Object.keys(REFERENCES).filter((t) => wanted.includes(t) && REFERENCES[t].available());
  console.error(`tools: ${tools.join(', ')}; references: ${references.join(', ')}; runs: ${RUNS}`);
  const samples = {};
  for (let run = 0; run < RUNS; run++) {
    // Alternate: each run starts with a different tool, so no tool always gets the warmest cache.
    const order = tools.map((_, i) => tools[(i + run) % tools.length]);
    for (const tool of order) {
      console.error(`run ${run + 1}/${RUNS}: ${tool}`);
      const sample = { ...smallWorkloads(tool, TOOLS[tool], small), ...largeWorkloads(tool, TOOLS[tool], large, edited) };
      (samples[tool] ??= []).push(sample);
    }
    for (const name of references) (samples[name] ??= []).push(referenceWorkloads(name, REFERENCES[name], small, large));
    if (wanted.includes('cp')) (samples.cp ??= []).push(cpRestore(large));
  }
  const names = [...tools, ...references, ...(wanted.includes('cp') ? ['cp'] : [])];
  const versions = names.map((t) => `${t}: ${toolVersion(t)}`).join('; ');
  const header = [
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
    `Data: small tree ${smallFiles} files, ${(duBytes(small) / 1e6).toFixed(0)} MB; large file ${(statSync(large).size / 2 ** 30).toFixed(2)} GiB. Medians of ${RUNS} runs, warm page cache.`,
    `Versions: ${versions}.`,
  ].join('\n');
  const table = `${header}\n\n${report(samples, names)}\n`;
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.md'), table);
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), JSON.stringify({ header, samples }, null, 2));
  console.log(table);
}

function toolVersion(tool) {
  const commands = {
    store: `node ${STORE} --version`,
    'store-before': `echo "$(node ${STORE_BEFORE} --version) at $(git -C $(dirname ${STORE_BEFORE}) rev-parse --short HEAD)"`,
    git: 'git --version',
    restic: 'restic version',
    borg: 'borg --version',
    zstd: 'zstd --version',
    b3sum: 'b3sum --version',
    cp: 'cp --version | head -1',
  };
  try {
    return execFileSync('sh', ['-c', commands[tool]], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
}

main();
