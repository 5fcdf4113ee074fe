/**
 * lib/data: the synthetic world (determinism, format, coverage of the vocabulary, difficulty knobs) and
 * finding the corpus (MINGPT_DATA_DIR, data/birthplaces, the synthetic fallback, writeWorld round trip).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CharCorruptionDataset, DEFAULT_WORLD_OPTIONS, PLAIN_WORLD_OPTIONS, NameDataset, NAME_FIRST_TEMPLATES, PLACE_NAMES, Vocab, WORLD_PREAMBLE,
  describeWorld, encodePrompt, generateWorld, loadCorpus, missingCharacters, resolveDataDir, writeWorld,
} from '../lib/data';
import { isDataError } from './data_helpers';


describe('data: synthetic world', () => {
  it('is a function of its options: same seed, same text; another seed, another world', () => {
    const a = generateWorld({ seed: 11 });
    const b = generateWorld({ seed: 11 });
    assert.equal(a.pretrainText, b.pretrainText);
    assert.deepEqual(a.train, b.train);
    assert.deepEqual(a.dev, b.dev);
    const c = generateWorld({ seed: 12 });
    assert.notEqual(a.pretrainText, c.pretrainText);
    // Changing how biographies are written keeps the same people, birthplaces and split.
    const d = generateWorld({ seed: 11, docsPerPerson: 3, mentionsPerDoc: 1, fillerSentences: 2 });
    assert.deepEqual(d.people, a.people);
    assert.notEqual(d.pretrainText, a.pretrainText);
  });

  it('has the real format: questions "Where was NAME born?", people split into disjoint train and dev', () => {
    const w = generateWorld({ seed: 3, people: 120, devFraction: 0.25 });
    assert.equal(w.people.length, 120);
    assert.equal(w.dev.length, 30);
    assert.equal(w.train.length, 90);
    const names = w.people.map((p) => p.name);
    assert.equal(new Set(names).size, 120, 'names are distinct');
    for (const n of names) assert.match(n, /^[A-Z][a-z]+ [A-Z][a-z]+$/);
    const byName = new Map(w.people.map((p) => [p.name, p]));
    for (const [split, rows] of [['train', w.train], ['dev', w.dev]] as const) {
      rows.forEach((qa, i) => {
        const m = /^Where was (.+) born\?$/.exec(qa.question);
        assert.ok(m, qa.question);
        const person = byName.get(m[1]);
        assert.ok(person && person.split === split && person.birthplace === qa.answer);
        assert.equal(qa.line, i + 1);
      });
    }
  });

  it('states each birthplace in the pretraining text: every document names its person and birthplace, first sentence first', () => {
    const o = { seed: 5, people: 40, docsPerPerson: 3, mentionsPerDoc: 2, famousShare: 0 };
    const w = generateWorld(o);
    const docs = w.pretrainText.split('\n');
    assert.equal(docs[0], WORLD_PREAMBLE);
    assert.equal(docs.length, 1 + 40 * 3);
    for (const p of w.people) {
      const mine = docs.filter((d) => d.includes(p.name + ' ') || d.includes(p.name + ',') || d.includes(p.name + '.'));
      assert.equal(mine.length, 3, `${p.name} should have 3 documents`);
      for (const d of mine) {
        const firstSentence = d.split('. ')[0];
        assert.ok(firstSentence.includes(p.birthplace) && firstSentence.includes(p.name), `first sentence of ${JSON.stringify(d)}`);
        assert.ok(d.split(p.birthplace).length - 1 >= 2, `the birthplace is stated twice in ${JSON.stringify(d)}`);
      }
    }
  });

  it('spells every question and answer with characters of its own pretraining text, for any size', () => {
    const variants = [
      {},
      { seed: 1, people: 2, places: 1 },
      { seed: 2, people: 3, places: 2, fillerSentences: 0, mentionsPerDoc: 1, docsPerPerson: 1, templates: 1, placeFirstShare: 0 },
      { seed: 4, people: 300, places: PLACE_NAMES.length, nameSyllables: [1, 3] as [number, number], distractorShare: 0.5, birthplaceFirst: false },
    ];
    for (const v of variants) {
      const w = generateWorld(v);
      assert.deepEqual(missingCharacters(w), []);
      const vocab = Vocab.fromCorpus(w.pretrainText);
      assert.ok(vocab.has('?') && vocab.has('W'));
      const ds = new NameDataset(vocab, [...w.train, ...w.dev], 64);
      assert.equal(ds.length, w.people.length);
      assert.equal(ds.droppedChars, 0);
      for (const qa of w.dev) encodePrompt(vocab, qa.question);
      new CharCorruptionDataset(vocab, w.pretrainText, 64);
    }
    // The check itself: a "world" whose text lacks the question mark is reported.
    assert.deepEqual(missingCharacters({ pretrainText: 'Where was Ada born', train: [{ question: 'Where was Ada born?', answer: 'Rome', line: 1 }], dev: [] }), ['?', 'R', 'm']);
  });

  it('gives London its share and every other place an equal one, in train and dev alike', () => {
    const w = generateWorld({ seed: 8, people: 200, places: 11, londonShare: 0.1, devFraction: 0.25 });
    const count = (rows: readonly { answer: string }[], place: string): number => rows.filter((r) => r.answer === place).length;
    const all = [...w.train, ...w.dev];
    assert.equal(count(all, 'London'), 20);
    const others = [...new Set(all.map((r) => r.answer))].filter((p) => p !== 'London');
    assert.equal(others.length, 10);
    for (const p of others) assert.equal(count(all, p), 18, `${p}: 180 people over 10 places`);
    assert.equal(w.dev.length, 50);
    assert.equal(count(w.dev, 'London'), 5, 'a quarter of the London-born are in dev');
    for (const p of others) assert.ok(Math.abs(count(w.dev, p) - 4.5) <= 1, `${p} has ${count(w.dev, p)} dev people, expected 4 or 5`);
    const d = generateWorld();
    assert.equal(count([...d.train, ...d.dev], 'London'), 14, 'the default world: 14 of 280 born in London');
    assert.equal(count(d.dev, 'London'), 10, '10 of 200 dev answers are London: the baseline scores 5%, as on the real dev set');
    const plain = generateWorld(PLAIN_WORLD_OPTIONS);
    assert.equal(count(plain.dev, 'London'), 1, 'the plain world: 1 of 12');
  });

  it('obeys its difficulty knobs: places, London share, templates, place-first phrasing, distractors', () => {
    const all = generateWorld({ seed: 6, people: 50, londonShare: 1 });
    assert.ok(all.people.every((p) => p.birthplace === 'London'));
    const w = generateWorld({ seed: 6, people: 200, places: 5, londonShare: 0 });
    const places = new Set(w.people.map((p) => p.birthplace));
    assert.equal(places.size, 4, 'London plus 4 others, London with share 0');
    assert.ok(!places.has('London'));
    const plain = generateWorld({ seed: 6, people: 30, templates: 1, placeFirstShare: 0, mentionsPerDoc: 1, fillerSentences: 0 });
    for (const d of plain.pretrainText.split('\n').slice(1)) assert.match(d, /^[A-Z][a-z]+ [A-Z][a-z]+ was born in [A-Z][a-z]+\.$/);
    assert.equal(NAME_FIRST_TEMPLATES[0], '{N} was born in {P}.');
    const placeFirst = generateWorld({ seed: 6, people: 30, placeFirstShare: 1, mentionsPerDoc: 1, fillerSentences: 0 });
    for (const p of placeFirst.people) {
      const d = placeFirst.pretrainText.split('\n').find((line) => line.includes(p.name));
      assert.ok(d !== undefined && d.indexOf(p.birthplace) < d.indexOf(p.name), `place before name in ${d}`);
    }
    const distract = generateWorld({ seed: 6, people: 30, distractorShare: 1, mentionsPerDoc: 1, fillerSentences: 0, places: 3 });
    for (const d of distract.pretrainText.split('\n').slice(1)) {
      assert.equal(PLACE_NAMES.filter((pl) => d.includes(pl)).length, 2, `two places in ${d}`);
    }
  });

  it('evenNames gives every name one shape; famous people get famousDocs lines, drawn across train and dev', () => {
    const even = generateWorld({ seed: 3, people: 60, evenNames: true });
    // Consonant, vowel, consonant, vowel: two parts of four letters, one name length for all.
    for (const p of even.people) assert.match(p.name, /^[^AEIOU][aeiou][^aeiou][aeiou] [^AEIOU][aeiou][^aeiou][aeiou]$/);
    // templates: 1 writes "NAME was born in PLACE." lines: a person's lines start with their name.
    const plainLines = (w: ReturnType<typeof generateWorld>, name: string): number => w.pretrainText.split('\n').filter((l) => l.startsWith(`${name} `)).length;
    const fame = generateWorld({ seed: 3, people: 40, docsPerPerson: 1, famousShare: 0.25, famousDocs: 4, templates: 1 });
    const counts = fame.people.map((p) => plainLines(fame, p.name));
    assert.equal(counts.filter((c) => c === 4).length, 10, 'a quarter of 40 people have 4 lines');
    assert.equal(counts.filter((c) => c === 1).length, 30, 'the others have one');
    const famousSplits = new Set(fame.people.filter((_, i) => counts[i] === 4).map((p) => p.split));
    assert.deepEqual([...famousSplits].sort(), ['dev', 'train'], 'fame is drawn independently of the split');
    const without = generateWorld({ seed: 3, people: 40, docsPerPerson: 1, templates: 1, famousShare: 0 });
    assert.deepEqual(without.people, fame.people, 'fame changes the text only, not who is born where or the split');
    assert.throws(() => generateWorld({ famousShare: 2 }), isDataError(/option famousShare must be a number in \[0, 1\]/));
    assert.throws(() => generateWorld({ famousDocs: 0 }), isDataError(/option famousDocs must be an integer in \[1, Infinity\]/));
  });

  it('rejects bad options, naming the option', () => {
    assert.throws(() => generateWorld({ people: 1 }), isDataError(/option people must be an integer in \[2, Infinity\], got 1/));
    assert.throws(() => generateWorld({ places: PLACE_NAMES.length + 1 }), isDataError(/option places/));
    assert.throws(() => generateWorld({ devFraction: 1 }), isDataError(/option devFraction/));
    assert.throws(() => generateWorld({ londonShare: -0.1 }), isDataError(/option londonShare must be a number in \[0, 1\]/));
    assert.throws(() => generateWorld({ nameSyllables: [3, 2] }), isDataError(/option nameSyllables/));
    assert.throws(() => generateWorld({ people: 2000, nameSyllables: [1, 1], evenNames: false }), isDataError(/cannot make 2000 distinct names/));
  });

  it('defaults to the lesson world: 200 dev questions, one short line per person, a quarter of them famous', () => {
    const w = generateWorld();
    assert.equal(w.options.people, DEFAULT_WORLD_OPTIONS.people);
    assert.equal(w.dev.length, 200, 'enough dev questions that a gap of a few points is several standard errors');
    const lines = w.pretrainText.split('\n').slice(1);
    const lens = lines.map((d) => d.length);
    const mean = lens.reduce((a, b) => a + b, 0) / lens.length;
    assert.ok(mean < 40, `biographies average ${mean.toFixed(0)} characters: short lines, cheap to train on`);
    const copies = w.people.map((p) => lines.filter((l) => l === `${p.name}, born in ${p.birthplace}.`).length);
    assert.equal(lines.length, copies.reduce((a, b) => a + b, 0), 'every line is one person\'s "NAME, born in PLACE."');
    assert.equal(copies.filter((c) => c === 4).length, 70, 'a quarter of 280 people have their line four times');
    assert.equal(copies.filter((c) => c === 1).length, 210, 'the others once');
    assert.ok(w.people.every((p) => p.name.length === 9), 'names of one shape: four letters, a space, four letters');
    const counted = generateWorld({ seed: 1, people: 10, templates: 3 });
    assert.equal(counted.options.birthTemplates, undefined, 'a world that counts its templates draws from NAME_FIRST_TEMPLATES');
    const own = generateWorld({ seed: 1, people: 10, birthTemplates: ['{N} came from {P}.'], mentionsPerDoc: 1 });
    for (const l of own.pretrainText.split('\n').slice(1)) assert.match(l, /^[A-Z][a-z]+ [A-Z][a-z]+ came from [A-Z][a-z]+\.$/);
    assert.throws(() => generateWorld({ birthTemplates: ['{P} is where {N} was born.'] }), isDataError(/option birthTemplates must be a non-empty list of phrasings, each with \{N\} before \{P\}/));
    const plain = generateWorld(PLAIN_WORLD_OPTIONS);
    assert.match(describeWorld(plain), /^synthetic world \(seed 0\): 48 people \(36 train, 12 dev\), 12 places, 145 documents/);
    for (const d of plain.pretrainText.split('\n').slice(1)) assert.match(d, /^([A-Z][a-z]+ [A-Z][a-z]+) was born in ([A-Z][a-z]+)( in \d{4})?\. \1 was born in \2( in \d{4})?\.$/);
    assert.match(describeWorld(w), /^synthetic world \(seed 0\): 280 people \(80 train, 200 dev\), 24 places, 491 documents/);
  });
});

describe('data: finding the corpus', () => {
  let dir: string;
  const saved = process.env.MINGPT_DATA_DIR;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-world-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.MINGPT_DATA_DIR;
    else process.env.MINGPT_DATA_DIR = saved;
  });

  it('writeWorld writes the real layout, which loads back as the same corpus through MINGPT_DATA_DIR', () => {
    const w = generateWorld({ seed: 9, people: 20 });
    const files = writeWorld(w, path.join(dir, 'world'));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'world')).sort(), ['birth_dev.tsv', 'birth_places_train.tsv', 'wiki.txt', 'world.json']);
    assert.equal(JSON.parse(fs.readFileSync(files.options, 'utf8')).options.seed, 9);
    process.env.MINGPT_DATA_DIR = path.join(dir, 'world');
    assert.deepEqual(resolveDataDir(), { dir: path.join(dir, 'world'), via: 'MINGPT_DATA_DIR' });
    const c = loadCorpus({ corpus: 'real' });
    assert.equal(c.source, 'synthetic', 'world.json marks a written world');
    // The lines with text, as describeWorld counts them: the file's final newline adds none.
    const lines = w.pretrainText.split('\n').length;
    assert.match(describeWorld(w), new RegExp(`, ${lines} documents,`));
    assert.match(c.description, new RegExp(`^synthetic world \\(world\\.json\\) from .*world \\(via MINGPT_DATA_DIR\\): ${lines} lines`));
    assert.equal(c.pretrainText, w.pretrainText + '\n');
    assert.deepEqual(c.train.map((q) => [q.question, q.answer]), w.train.map((q) => [q.question, q.answer]));
    assert.deepEqual(c.dev.map((q) => [q.question, q.answer]), w.dev.map((q) => [q.question, q.answer]));
    assert.equal(c.testQuestions, undefined);
    assert.equal(Vocab.fromCorpus(c.pretrainText).size, Vocab.fromCorpus(w.pretrainText).size);
  });

  it("'auto' falls back to the synthetic world; 'real' says where it looked and points to data/README.md", function () {
    process.env.MINGPT_DATA_DIR = path.join(dir, 'empty');
    assert.throws(() => loadCorpus(), isDataError(/MINGPT_DATA_DIR is set to .*empty, which lacks wiki\.txt, birth_places_train\.tsv, birth_dev\.tsv; fix it, or unset it/));
    delete process.env.MINGPT_DATA_DIR;
    const found = resolveDataDir();
    if (found !== undefined) {
      console.log(`      (data/birthplaces holds a corpus at ${found.dir}; the fallback cannot be tested here)`);
      this.skip();
    }
    const c = loadCorpus({ world: { seed: 2, people: 10 } });
    assert.equal(c.source, 'synthetic');
    assert.deepEqual(c.train, generateWorld({ seed: 2, people: 10 }).train);
    assert.match(c.description, /^synthetic world \(seed 2\): 10 people/);
    assert.throws(
      () => loadCorpus({ corpus: 'real' }),
      isDataError(/real birthplace corpus was not found[\s\S]*data\/birthplaces \(data\/birthplaces\): missing wiki\.txt, birth_places_train\.tsv, birth_dev\.tsv[\s\S]*MINGPT_DATA_DIR is not set[\s\S]*See data\/README\.md/),
    );
    process.env.MINGPT_DATA_DIR = path.join(dir, 'empty');
    assert.throws(() => loadCorpus({ corpus: 'real' }), isDataError(/empty \(MINGPT_DATA_DIR\): missing wiki\.txt/));
    assert.throws(() => loadCorpus({ dataDir: path.join(dir, 'nowhere') }), isDataError(/nowhere \(dataDir option\): missing wiki\.txt/));
    assert.equal(loadCorpus({ corpus: 'synthetic' }).source, 'synthetic');
  });

  it('reports a broken file of the real corpus with its name and line', () => {
    const broken = path.join(dir, 'broken');
    writeWorld(generateWorld({ seed: 1, people: 5, devFraction: 0.25 }), broken);
    fs.appendFileSync(path.join(broken, 'birth_dev.tsv'), 'Where was Nobody born?   Paris\n');
    assert.throws(() => loadCorpus({ dataDir: broken }), isDataError(/birth_dev\.tsv line 2: no tab/));
  });
});
