// The extension manifest (package.json contributes) against the code and the files it names:
// every command has a localised title, the "Padlock" category and a handler in src/host; the
// palette hides commands by `when` clauses built from context keys the host really sets;
// menu icons are codicons that exist; every setting is described and its default is safe; the
// walkthrough's media exist and its completion events can fire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../support/root';


const root = projectRoot();
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Command {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}
interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}
interface Setting {
  type: string;
  default: unknown;
  description?: string;
  markdownDescription?: string;
  enum?: string[];
  enumDescriptions?: string[];
}
interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string | Record<string, string>; altText?: string };
  completionEvents?: string[];
}

const pkg = JSON.parse(read('package.json')) as {
  displayName: string;
  description: string;
  l10n?: string;
  contributes: {
    commands: Command[];
    menus: Record<string, MenuEntry[]>;
    keybindings: { command: string; when?: string }[];
    configuration: { title: string; properties: Record<string, Setting> };
    walkthroughs: { id: string; title: string; description: string; steps: Step[] }[];
    views: Record<string, { id: string; name: string }[]>;
  };
};
const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
const c = pkg.contributes;

/** "%key%" -> the English text; fails if the key is missing. */
function localized(value: string, where: string): string {
  const m = /^%(.+)%$/.exec(value);
  assert.ok(m, `${where}: "${value}" is not a %key% of package.nls.json`);
  const text = nls[m[1]];
  assert.ok(typeof text === 'string' && text.trim(), `${where}: package.nls.json has no text for ${m[1]}`);
  return text;
}

/** Ids registered in src/host: main.ts's and share.ts's `cmd('padlock.x', …)` or registerCommand. */
function registeredInCode(): Set<string> {
  const ids = new Set<string>();
  for (const f of readdirSync(join(root, 'src', 'host')).filter((n) => n.endsWith('.ts'))) {
    const src = read(join('src', 'host', f));
    for (const m of src.matchAll(/\b(?:cmd|registerCommand)\(\s*'(padlock\.[A-Za-z]+)'/g)) ids.add(m[1]);
  }
  return ids;
}

/** The context keys src/host/contextKeys.ts sets (its CONTEXT_KEYS list). */
function contextKeys(): Set<string> {
  const src = read('src/host/contextKeys.ts');
  const list = /CONTEXT_KEYS = \[([\s\S]*?)\]/.exec(src);
  assert.ok(list, 'CONTEXT_KEYS not found in src/host/contextKeys.ts');
  return new Set([...list[1].matchAll(/'(padlock\.[A-Za-z]+)'/g)].map((m) => m[1]));
}

/** Context keys a `when` clause reads that are ours (padlock.*, not padlock.contacts views). */
function padlockKeysIn(when: string): string[] {
  return [...when.matchAll(/\b(padlock\.[A-Za-z]+)\b/g)].map((m) => m[1]).filter((k) => !/^padlock\.(contacts|chat|room)$/.test(k));
}

function codiconNames(): Set<string> {
  const css = readFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.css'), 'utf8');
  return new Set([...css.matchAll(/\.codicon-([a-z0-9-]+):before/g)].map((m) => m[1]));
}

// The palette commands issue #4 names, by id.
const ISSUE_COMMANDS = {
  'padlock.addAccount': 'Add Account',
  'padlock.removeAccount': 'Remove Account',
  'padlock.signIn': 'Sign In',
  'padlock.signOut': 'Sign Out',
  'padlock.setStatus': 'Set Status',
  'padlock.addContact': 'Add Contact',
  'padlock.removeContact': 'Remove Contact',
  'padlock.openChat': 'Open Chat',
  'padlock.startPrivate': 'Start Private Conversation',
  'padlock.endPrivate': 'End Private Conversation',
  'padlock.verifyContact': 'Verify Contact',
  'padlock.generateKey': 'Generate Private Key',
  'padlock.exportKey': 'Export Private Key',
  'padlock.importKey': 'Import Private Key',
  'padlock.showFingerprints': 'Show Known Fingerprints',
  'padlock.shareSelection': 'Share Selection Securely',
};

// Commands that make sense in every state (they explain or set up what is missing).
const ALWAYS = new Set(['padlock.addAccount', 'padlock.showLog', 'padlock.showSecurity', 'padlock.showFingerprints']);

describe('manifest: commands', () => {
  const ids = c.commands.map((x) => x.command);

  test('the palette commands of issue #4 exist with their titles', () => {
    for (const [id, title] of Object.entries(ISSUE_COMMANDS)) {
      const cmd = c.commands.find((x) => x.command === id);
      assert.ok(cmd, `${id} is not contributed`);
      assert.ok(localized(cmd.title, id).startsWith(title), `${id}: title "${localized(cmd.title, id)}" does not start with "${title}"`);
    }
  });

  test('every command has a localised title and the Padlock category, ids are unique', () => {
    assert.equal(new Set(ids).size, ids.length, 'duplicate command ids');
    for (const cmd of c.commands) {
      localized(cmd.title, cmd.command);
      assert.equal(cmd.category, 'Padlock', `${cmd.command} has no "Padlock" category`);
    }
  });

  test('every command is registered by src/host and nothing registered is missing from package.json', () => {
    const code = registeredInCode();
    assert.deepEqual(ids.filter((id) => !code.has(id)), [], 'contributed but no handler in src/host');
    assert.deepEqual([...code].filter((id) => !ids.includes(id)), [], 'handled in src/host but not contributed');
  });

  test('every command that needs context is hidden from the palette by a `when` on keys the host sets', () => {
    const keys = contextKeys();
    const palette = c.menus.commandPalette ?? [];
    for (const e of palette) assert.ok(ids.includes(e.command), `commandPalette names unknown ${e.command}`);
    for (const id of ids) {
      const entry = palette.find((e) => e.command === id);
      if (ALWAYS.has(id)) continue;
      assert.ok(entry?.when, `${id} has no commandPalette entry with a when clause`);
      assert.notEqual(entry.when, 'false', `${id} is hidden from the palette altogether: every command must work from it`);
      const used = padlockKeysIn(entry.when);
      for (const k of used) assert.ok(keys.has(k), `${id}: when clause uses ${k}, which src/host/contextKeys.ts never sets`);
    }
  });

  test('icons are codicons that exist; commands in view title bars have one', () => {
    const names = codiconNames();
    assert.ok(names.size > 300, 'codicon.css not read');
    for (const cmd of c.commands) {
      if (!cmd.icon) continue;
      const m = /^\$\(([a-z0-9-]+)\)$/.exec(cmd.icon);
      assert.ok(m, `${cmd.command}: icon ${cmd.icon} is not a codicon reference`);
      assert.ok(names.has(m[1]), `${cmd.command}: codicon ${m[1]} does not exist`);
    }
    for (const [menu, entries] of Object.entries(c.menus)) {
      for (const e of entries) {
        assert.ok(ids.includes(e.command), `${menu} names unknown ${e.command}`);
        if (menu === 'view/title' && e.group?.startsWith('navigation')) {
          assert.ok(c.commands.find((x) => x.command === e.command)?.icon, `${e.command} shows in the view title bar without an icon`);
        }
      }
    }
  });

  test('keybindings name contributed commands and have a when clause', () => {
    for (const k of c.keybindings) {
      assert.ok(ids.includes(k.command), `keybinding for unknown ${k.command}`);
      assert.ok(k.when, `keybinding for ${k.command} has no when`);
    }
  });
});

describe('manifest: settings', () => {
  const props = Object.entries(c.configuration.properties);

  test('every setting has a localised description (and one per enum value)', () => {
    localized(c.configuration.title, 'configuration.title');
    assert.ok(props.length >= 5);
    for (const [name, p] of props) {
      assert.ok(name.startsWith('padlock.'), `${name} is not under padlock.`);
      localized(p.description ?? p.markdownDescription ?? '', name);
      if (p.enum) {
        assert.equal(p.enumDescriptions?.length, p.enum.length, `${name}: one enumDescription per value`);
        p.enumDescriptions!.forEach((d, i) => localized(d, `${name}=${p.enum![i]}`));
        assert.ok(p.enum.includes(p.default as string), `${name}: default is not one of its values`);
      }
      assert.equal(typeof p.default, p.type, `${name}: default ${JSON.stringify(p.default)} is not a ${p.type}`);
    }
  });

  test('defaults are safe: OTR opportunistic, private conversations not logged', () => {
    assert.equal(c.configuration.properties['padlock.otr.policy'].default, 'opportunistic');
    assert.equal(c.configuration.properties['padlock.otr.logPrivateConversations'].default, false);
  });

  test('every setting is read by the code', () => {
    const host = readdirSync(join(root, 'src', 'host'))
      .filter((n) => n.endsWith('.ts'))
      .map((n) => read(join('src', 'host', n)))
      .join('\n');
    for (const [name] of props) {
      const leaf = name.split('.').pop()!;
      assert.ok(host.includes(`'${name}'`) || host.includes(`'${leaf}'`), `${name} is never read in src/host`);
    }
  });
});

describe('manifest: walkthrough', () => {
  const w = c.walkthroughs?.[0];

  test('a getting-started walkthrough with the five steps of issue #4', () => {
    assert.ok(w, 'no contributes.walkthroughs');
    localized(w.title, 'walkthrough.title');
    localized(w.description, 'walkthrough.description');
    assert.deepEqual(
      w.steps.map((s) => s.id),
      ['addAccount', 'generateKey', 'addContact', 'startPrivate', 'verifyContact'],
    );
  });

  test('each step has localised text, existing media, a command link and completion events that can fire', () => {
    const ids = c.commands.map((x) => x.command);
    const keys = contextKeys();
    for (const s of w!.steps) {
      localized(s.title, `${s.id}.title`);
      const text = localized(s.description, `${s.id}.description`);
      const links = [...text.matchAll(/\(command:([A-Za-z.]+)\)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `${s.id}: no command button in the description`);
      for (const l of links) assert.ok(ids.includes(l), `${s.id}: links unknown command ${l}`);
      const media = s.media.markdown ?? (typeof s.media.image === 'string' ? s.media.image : undefined);
      assert.ok(media, `${s.id}: no media`);
      assert.ok(media.startsWith('media/walkthrough/'), `${s.id}: media outside media/walkthrough/`);
      assert.ok(existsSync(join(root, media)), `${s.id}: ${media} does not exist`);
      if (s.media.image) assert.ok(s.media.altText, `${s.id}: image without altText`);
      assert.ok(s.completionEvents?.length, `${s.id}: no completion event`);
      for (const e of s.completionEvents!) {
        const [kind, arg] = e.split(':', 2) as [string, string];
        if (kind === 'onCommand') assert.ok(ids.includes(arg), `${s.id}: onCommand:${arg} is not a command`);
        else if (kind === 'onContext') for (const k of padlockKeysIn(arg)) assert.ok(keys.has(k), `${s.id}: ${k} is never set`);
        else assert.fail(`${s.id}: unexpected completion event ${e}`);
      }
    }
  });
});

describe('manifest: localisation', () => {
  test('every %key% of package.json is in package.nls.json and every key there is used', () => {
    const text = read('package.json');
    const used = new Set([...text.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    assert.deepEqual([...used].filter((k) => !(k in nls)), [], 'keys missing from package.nls.json');
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], 'unused keys in package.nls.json');
    localized(pkg.displayName, 'displayName');
    localized(pkg.description, 'description');
    for (const views of Object.values(c.views)) for (const v of views) localized(v.name, v.id);
  });

  test('package.json points VS Code at l10n/ and the .vsix ships it', () => {
    assert.equal(pkg.l10n, './l10n');
    assert.ok(existsSync(join(root, 'l10n', 'bundle.l10n.json')));
    const ignore = read('.vscodeignore');
    assert.match(ignore, /^!package\.nls\.json$/m);
    assert.match(ignore, /^!l10n\/\*\*$/m);
  });
});
