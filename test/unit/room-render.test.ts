// Pure helpers of the room panel (webview/room/render.ts): nickname colours, mention
// highlighting, occupant order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OccupantView } from '../../src/shared/protocol';
import { isMention } from '../../src/core/muc';
import { NICK_COLORS, compareOccupants, mentionParts, nickColor } from '../../webview/room/render';

const join = (parts: { text: string }[]) => parts.map((p) => p.text).join('');
const marked = (parts: { text: string; mention: boolean }[]) => parts.filter((p) => p.mention).map((p) => p.text);

describe('nickColor', () => {
  it('is stable and in range', () => {
    for (const nick of ['alice', 'Bob', 'ünïcödé', '', '<img src=x>', 'x'.repeat(10_000)]) {
      const c = nickColor(nick);
      assert.ok(Number.isInteger(c) && c >= 0 && c < NICK_COLORS, `${nick.slice(0, 20)} -> ${c}`);
      assert.equal(nickColor(nick), c);
    }
  });

  it('spreads nicknames over the palette', () => {
    const used = new Set<number>();
    for (let i = 0; i < 200; i++) used.add(nickColor(`user${i}`));
    assert.equal(used.size, NICK_COLORS);
  });

  // A hang guard, not a speed measure (that is bench/): a linear hash finishes far inside it.
  it('hashes a 1 MB nickname (linear: no hang)', { timeout: 10_000 }, () => {
    assert.ok(nickColor('n'.repeat(1_000_000)) >= 0);
  });
});

describe('mentionParts', () => {
  it('marks the nick on word boundaries, case-insensitively', () => {
    const parts = mentionParts('hi Bob! @bob: bobby and bob_ and xbob, BOB', 'bob');
    assert.deepEqual(marked(parts), ['Bob', 'bob', 'BOB']);
    assert.equal(join(parts), 'hi Bob! @bob: bobby and bob_ and xbob, BOB');
  });

  it('agrees with the core isMention', () => {
    const cases: [string, string][] = [
      ['hello alice', 'alice'],
      ['alice2 here', 'alice'],
      ['ünï: hi', 'ünï'],
      ['a.b is here', 'a.b'],
      ['axb is here', 'a.b'],
      ['(c++) rocks', 'c++'],
      ['nothing', 'bob'],
    ];
    for (const [text, nick] of cases) assert.equal(marked(mentionParts(text, nick)).length > 0, isMention(text, nick), `${text} / ${nick}`);
  });

  it('treats regex metacharacters in the nick literally', () => {
    assert.deepEqual(marked(mentionParts('a.*b and aXb', 'a.*b')), ['a.*b']);
    assert.deepEqual(marked(mentionParts('hi (y) there', '(y)')), ['(y)']);
  });

  it('returns the text unchanged when there is nothing to mark', () => {
    assert.deepEqual(mentionParts('hello', ''), [{ text: 'hello', mention: false }]);
    assert.deepEqual(mentionParts('', 'bob'), []);
    assert.deepEqual(mentionParts('hi', 'a much longer nick'), [{ text: 'hi', mention: false }]);
  });

  it('hostile text stays text: markup is never a mention boundary trick', () => {
    const text = '<b>bob</b><img src=x onerror=alert(1)>bob';
    const parts = mentionParts(text, 'bob');
    assert.equal(join(parts), text);
    assert.deepEqual(marked(parts), ['bob', 'bob']);
  });

  it('handles a flood-sized message (linear: no hang)', { timeout: 10_000 }, () => {
    const text = 'bob '.repeat(25_000);
    const parts = mentionParts(text, 'bob');
    assert.equal(marked(parts).length, 25_000);
  });
});

describe('compareOccupants', () => {
  const o = (nick: string, role: OccupantView['role']): OccupantView => ({ nick, displayNick: nick, role, affiliation: 'none', show: 'available', self: false });
  it('orders by role, then nickname', () => {
    const list = [o('zed', 'participant'), o('amy', 'visitor'), o('Bob', 'moderator'), o('al', 'participant'), o('al2', 'participant')];
    assert.deepEqual(
      list.sort(compareOccupants).map((x) => x.nick),
      ['Bob', 'al', 'al2', 'zed', 'amy'],
    );
  });
});
