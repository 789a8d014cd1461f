#!/usr/bin/env node
// create-openred-plugin: scaffolds a plugin folder from a template. One file, no dependencies, so that
// `npx create-openred-plugin` / `npm create openred-plugin` start fast. Every prompt has a flag; `--yes` takes
// the defaults for whatever was not given, and a non-interactive stdin never waits for input.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const CAPABILITIES = ['p2p', 'api', 'cipher', 'middleware'];
const PLUGIN_NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const PREFIX = 'openred-plugin-';
const HERE = dirname(fileURLToPath(import.meta.url));

const HELP = `Usage: create-openred-plugin [name] [options]

Scaffolds an OpenRed plugin into ./<name> (or --dir).

Options:
  --description <text>     one-line description
  --template <name>        basic | cipher-method | middleware (default: from --capabilities, else basic)
  --capabilities <list>    comma-separated: p2p, api, cipher, middleware (default: the template's)
  --dir <path>             target folder (default: ./<name>); must be missing or empty
  -y, --yes                no prompts: defaults for everything not given
  -h, --help               show this help

Names follow npm rules. Published plugins are named openred-plugin-<name> (or @scope/openred-plugin-<name>),
which is how nodes discover installed plugins; "hello" gives the package openred-plugin-hello and the plugin
name "hello" (its key under \`modules\` in openred.config.ts).`;

/** A refusal with a message meant for the user (no stack trace). */
export class ScaffoldError extends Error {}

/** Where the templates are: shipped inside the package, or the repository's templates/ folder. */
export function templatesDir() {
  for (const dir of [join(HERE, 'templates'), join(HERE, '..', 'templates')]) {
    if (existsSync(join(dir, 'basic'))) return dir;
  }
  throw new ScaffoldError('templates not found next to create-openred-plugin');
}

export async function listTemplates(dir = templatesDir()) {
  const out = [];
  for (const name of (await readdir(dir)).sort()) {
    const file = join(dir, name, 'template.json');
    if (existsSync(file)) out.push({ name, ...JSON.parse(await readFile(file, 'utf8')) });
  }
  return out;
}

/**
 * npm's rules for new package names (the ones validate-npm-package-name enforces for new packages), with a
 * reason for each refusal.
 */
export function npmNameProblems(name) {
  const problems = [];
  if (!name) return ['the name is empty'];
  if (name.length > 214) problems.push('it is longer than 214 characters');
  if (name !== name.toLowerCase()) problems.push('it contains capital letters');
  if (name.trim() !== name) problems.push('it has leading or trailing spaces');
  if (/^[._]/.test(name)) problems.push('it starts with "." or "_"');
  if (['node_modules', 'favicon.ico'].includes(name)) problems.push(`"${name}" is reserved`);
  const m = /^(?:@([^/]+)\/)?([^/]+)$/.exec(name);
  if (!m) problems.push('it is not "name" or "@scope/name"');
  else if (encodeURIComponent(m[2]) !== m[2] || (m[1] && encodeURIComponent(m[1]) !== m[1]))
    problems.push('it contains characters that are not URL-safe');
  else if (/[~'!()*]/.test(name)) problems.push("it contains one of ~'!()*");
  return problems;
}

/** Splits what the user typed into the npm package name and the plugin name, or refuses it. */
export function resolveNames(input) {
  const problems = npmNameProblems(input);
  if (problems.length) throw new ScaffoldError(`invalid name "${input}": ${problems.join('; ')}`);
  const m = /^(?:(@[^/]+)\/)?(.+)$/.exec(input);
  const scope = m[1];
  const bare = m[2].startsWith(PREFIX) ? m[2].slice(PREFIX.length) : m[2];
  if (!PLUGIN_NAME_RE.test(bare)) {
    throw new ScaffoldError(
      `invalid name "${input}": the plugin name "${bare}" must be lowercase letters, digits and dashes, ` +
        'starting with a letter or digit (at most 64 characters)',
    );
  }
  const packageName = `${scope ? `${scope}/` : ''}${PREFIX}${bare}`;
  return { pluginName: bare, packageName, renamed: packageName !== input };
}

/** Chooses the template: explicit, else the one whose capabilities cover the request. */
export function chooseTemplate(templates, template, capabilities) {
  if (template) {
    const t = templates.find((x) => x.name === template);
    if (!t) {
      throw new ScaffoldError(
        `unknown template "${template}"; choose one of: ${templates.map((x) => x.name).join(', ')}`,
      );
    }
    return t;
  }
  if (!capabilities) return templates.find((x) => x.name === 'basic') ?? templates[0];
  const fits = templates.filter((t) => capabilities.every((c) => t.capabilities.includes(c)));
  if (!fits.length) {
    throw new ScaffoldError(
      `no template offers ${capabilities.join(' + ')} together; ` +
        templates.map((t) => `${t.name}: ${t.capabilities.join(', ')}`).join('; '),
    );
  }
  return fits.sort((a, b) => a.capabilities.length - b.capabilities.length)[0];
}

export function parseCapabilities(value) {
  if (value === undefined) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((c) => !CAPABILITIES.includes(c));
  if (unknown.length) {
    throw new ScaffoldError(
      `unknown capability ${unknown.join(', ')}; choose from ${CAPABILITIES.join(', ')}`,
    );
  }
  return [...new Set(list)];
}

/**
 * Keeps the lines of a template file that apply: `@if <capability>` ... `@endif` marker lines (in any comment
 * syntax) keep their block only when the capability was chosen; blocks nest; the markers themselves are dropped.
 */
export function applyCapabilities(text, capabilities) {
  const out = [];
  const open = []; // one entry per enclosing block: whether it is kept
  for (const line of text.split('\n')) {
    const start = /@if ([a-z0-9]+)\b/.exec(line);
    if (start) open.push(capabilities.includes(start[1]));
    else if (/@endif\b/.test(line)) open.pop();
    else if (open.every(Boolean)) out.push(line);
  }
  return out.join('\n');
}

export function substitute(text, vars) {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key) => (key in vars ? vars[key] : whole));
}

async function isEmptyDir(dir) {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) return false;
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if (err.code === 'ENOENT') return true;
    throw err;
  }
}

async function copyTree(from, to, transform) {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.name === 'template.json') continue;
    const target = join(to, entry.name === '_gitignore' ? '.gitignore' : entry.name);
    if (entry.isDirectory()) await copyTree(join(from, entry.name), target, transform);
    else await writeFile(target, transform(await readFile(join(from, entry.name), 'utf8')));
  }
}

/**
 * Writes the plugin. The files go to a hidden sibling folder first and are renamed into place in one step, so
 * a running node watching the parent folder never sees a half-written plugin.
 */
export async function scaffold(options) {
  const { pluginName, packageName } = resolveNames(options.name);
  const templates = await listTemplates(options.templatesDir);
  const template = chooseTemplate(templates, options.template, options.capabilities);
  const capabilities = options.capabilities ?? template.defaults ?? template.capabilities;
  const missing = capabilities.filter((c) => !template.capabilities.includes(c));
  if (missing.length) {
    throw new ScaffoldError(
      `template ${template.name} does not offer ${missing.join(', ')} (it offers ${template.capabilities.join(', ')})`,
    );
  }
  const target = resolve(options.dir ?? pluginName);
  if (!(await isEmptyDir(target))) {
    throw new ScaffoldError(`${target} exists and is not empty; choose another --dir or empty it first`);
  }
  const vars = {
    pluginName,
    packageName,
    description: (options.description ?? `An OpenRed plugin: ${pluginName}`).replace(/["\\]/g, ''),
    title: pluginName
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' '),
    year: String(new Date().getFullYear()),
  };
  const staging = join(dirname(target), `.${basename(target)}.create-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await copyTree(join(options.templatesDir ?? templatesDir(), template.name), staging, (text) =>
      substitute(applyCapabilities(text, capabilities), vars),
    );
    if (existsSync(target)) await rm(target, { recursive: true });
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return { target, pluginName, packageName, template: template.name, capabilities };
}

async function ask(rl, question, fallback) {
  const answer = (await rl.question(`${question}${fallback ? ` (${fallback})` : ''}: `)).trim();
  return answer || fallback;
}

export function nextSteps(result, cwd = process.cwd()) {
  const rel = relative(cwd, result.target) || '.';
  return [
    `Created ${result.packageName} (plugin "${result.pluginName}", template ${result.template}: ${result.capabilities.join(', ')}) in ${rel}`,
    '',
    'Next steps:',
    `  cd ${rel}`,
    '  npm install',
    '  npm test',
    '',
    'Run it: put the folder under plugins/ of a node (or run `npx openred dev` in an OpenRed project) and it',
    'hot-loads; or publish it as ' +
      result.packageName +
      ' and list it under `modules` in openred.config.ts.',
  ].join('\n');
}

export async function main(
  argv = process.argv.slice(2),
  io = { stdin: process.stdin, stdout: process.stdout },
) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      description: { type: 'string' },
      template: { type: 'string', short: 't' },
      capabilities: { type: 'string', short: 'c' },
      dir: { type: 'string', short: 'd' },
      yes: { type: 'boolean', short: 'y' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return undefined;
  }
  let name = positionals[0];
  let description = values.description;
  let template = values.template;
  let capabilities = parseCapabilities(values.capabilities);
  const interactive = !values.yes && io.stdin.isTTY;
  if (interactive) {
    const rl = createInterface({ input: io.stdin, output: io.stdout });
    try {
      name ??= await ask(rl, 'Plugin name (npm: openred-plugin-<name>)', 'my-plugin');
      resolveNames(name);
      description ??= await ask(rl, 'Description', `An OpenRed plugin: ${name}`);
      const templates = await listTemplates();
      if (!template && !capabilities) {
        const list = templates.map((t, i) => `  ${i + 1}. ${t.name} — ${t.description}`).join('\n');
        const pick = await ask(rl, `Template:\n${list}\nNumber or name`, 'basic');
        template = templates[Number(pick) - 1]?.name ?? pick;
      }
      const chosen = chooseTemplate(templates, template, capabilities);
      template = chosen.name;
      if (!capabilities && chosen.capabilities.length > 1) {
        capabilities = parseCapabilities(
          await ask(
            rl,
            `Capabilities (${chosen.capabilities.join(', ')})`,
            (chosen.defaults ?? chosen.capabilities).join(','),
          ),
        );
      }
    } finally {
      rl.close();
    }
  }
  if (!name) throw new ScaffoldError('a plugin name is required: create-openred-plugin <name> (see --help)');
  const result = await scaffold({ name, description, template, capabilities, dir: values.dir });
  io.stdout.write(`${nextSteps(result)}\n`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(await realpathOf(process.argv[1])).href) {
  main().catch((err) => {
    process.stderr.write(
      `create-openred-plugin: ${err instanceof ScaffoldError ? err.message : (err?.stack ?? err)}\n`,
    );
    process.exitCode = 1;
  });
}

async function realpathOf(p) {
  const { realpath } = await import('node:fs/promises');
  return realpath(p).catch(() => p);
}
