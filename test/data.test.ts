/**
 * lib/data: folding, vocabulary, TSV files, the two datasets' edge cases and collate.
 * The real corpus checks run when it is found (MINGPT_DATA_DIR or data/birthplaces) and are skipped with a
 * printed note otherwise.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CharCorruptionDataset, Example, MASK_CHAR, NameDataset, PAD_CHAR, Vocab, collate, encodePrompt, firstInvalidUtf8,
  foldToAscii, foldToAsciiCounted, foldedAnswer, formatQaTsv, holdOut, loadCorpus, parseEvalTsv, parseQaTsv, parseQuestions, readQaTsv, readTextFile, resolveDataDir,
} from '../lib/data';
import { isDataError } from './data_helpers';
import { Rng } from '../lib/util/random';


describe('data: folding to ASCII', () => {
  it('removes accents, spells letters NFKD cannot split, drops what has no ASCII form', () => {
    assert.equal(foldToAscii('Ondřej Neff'), 'Ondrej Neff');
    assert.equal(foldToAscii('Ákos Császár'), 'Akos Csaszar');
    assert.equal(foldToAscii('Kari Økland, Witold Rodziński, Oğuz'), 'Kari Okland, Witold Rodzinski, Oguz');
    assert.equal(foldToAscii('Łódź Straße ı'), 'Lodz Strasse i');
    assert.equal(foldToAscii('“Hélène” – d’Encausse'), '"Helene" - d\'Encausse');
    assert.deepEqual(foldToAsciiCounted('李小龍 Bruce 🙂'), { text: ' Bruce ', dropped: 4 });
    assert.deepEqual(foldToAsciiCounted(`a${PAD_CHAR}b${MASK_CHAR}c`), { text: 'abc', dropped: 2 }, 'PAD and MASK cannot sneak in through a question');
    assert.equal(foldToAscii('ﬁne ²'), 'fine 2', 'compatibility forms fold to their ASCII letters');
    assert.equal(foldedAnswer('  Zürich '), 'Zurich');
  });
});

describe('data: Vocab', () => {
  it('is PAD, MASK, then the distinct characters by code point (astral characters counted once)', () => {
    const v = Vocab.fromCorpus('ba\nc a\uE000\u{1D11E}');
    assert.deepEqual(v.chars, [PAD_CHAR, MASK_CHAR, '\n', ' ', 'a', 'b', 'c', '\uE000', '\u{1D11E}']);
    assert.equal(v.size, 9);
    assert.equal(v.padId, 0);
    assert.equal(v.maskId, 1);
    assert.deepEqual(v.encode('cab\u{1D11E}'), [6, 4, 5, 8]);
    assert.equal(v.decode([0, 1, 5, 4]), `${PAD_CHAR}${MASK_CHAR}ba`);
    assert.ok(v.has('a') && !v.has('z'));
  });

  it('never invents an id: unknown characters stop with an error naming where, and which', () => {
    const v = Vocab.fromCorpus('abc');
    assert.throws(() => v.encode('abz', 'dev.tsv line 3'), isDataError(/^dev\.tsv line 3: character 'z' \(U\+007A\) at position 3/));
    assert.throws(() => v.encode('a\tb'), isDataError(/"\\t" \(U\+0009\)/));
    assert.throws(() => v.decode([0, 5]), /id 5 at position 1 is outside 0\.\.4/);
  });

  it('rejects a corpus that is empty or contains PAD or MASK, and malformed id lists', () => {
    assert.throws(() => Vocab.fromCorpus(''), isDataError(/corpus is empty/));
    assert.throws(() => Vocab.fromCorpus(`ab\ncd${MASK_CHAR}`), isDataError(/reserved character .*U\+2047.* on line 2/));
    assert.throws(() => Vocab.fromChars(['a', MASK_CHAR]), isDataError(/id 0 must be PAD/));
    assert.throws(() => Vocab.fromChars([PAD_CHAR, MASK_CHAR, 'a', 'a']), isDataError(/appears twice \(again at id 3\)/));
    assert.throws(() => Vocab.fromChars([PAD_CHAR, MASK_CHAR, 'ab']), isDataError(/id 2 is "ab"/));
    const back = Vocab.fromChars(Vocab.fromCorpus('hello').chars);
    assert.deepEqual(back.encode('hello'), Vocab.fromCorpus('hello').encode('hello'));
  });
});

describe('data: TSV files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-tsv-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts a byte-order mark, CRLF, blank lines and spaces around fields; keeps file line numbers', () => {
    const qa = parseQaTsv('\uFEFFWhere was A born?\tParis\r\n\r\n  \nWhere was B born? \t London \r\n', 'x.tsv');
    assert.deepEqual(qa, [
      { question: 'Where was A born?', answer: 'Paris', line: 1, file: 'x.tsv' },
      { question: 'Where was B born?', answer: 'London', line: 4, file: 'x.tsv' },
    ]);
  });

  it('stops on a line without a tab, with two tabs, or with an empty field, naming file and line', () => {
    assert.throws(() => parseQaTsv('Q?\tA\nWhere was B born?\n', 'dev.tsv'), isDataError(/^dev\.tsv line 2: no tab in "Where was B born\?"/));
    assert.throws(() => parseQaTsv('Where was B born?    London', 'dev.tsv'), isDataError(/line 1: no tab.*spaces stand where the tab belongs/));
    assert.throws(() => parseQaTsv('Q?\tA\n\nQ?\tA\tB', 'train.tsv'), isDataError(/^train\.tsv line 3: 2 tabs/));
    assert.throws(() => parseQaTsv('Q?\t \n', 'train.tsv'), isDataError(/^train\.tsv line 1: the answer \(after the tab\) is empty/));
    assert.throws(() => parseQaTsv('\tParis', 'train.tsv'), isDataError(/line 1: the question \(before the tab\) is empty/));
    assert.throws(() => parseQaTsv('\n\n', 'empty.tsv'), isDataError(/^empty\.tsv: contains no/));
  });

  it('reads question-only files, with or without answers', () => {
    assert.deepEqual(parseQuestions('Where was A born?\n\nWhere was B born?\tOslo\n', 't.tsv'), [
      { question: 'Where was A born?', line: 1 },
      { question: 'Where was B born?', line: 3 },
    ]);
    assert.throws(() => parseQuestions('a\tb\tc', 't.tsv'), isDataError(/^t\.tsv line 1: 2 tabs/));
  });

  it('tells pair files from question files, and names the odd line of a file that mixes them', () => {
    const pairs = parseEvalTsv('Where was A born?\tParis\n\nWhere was B born?\tOslo\n', 'dev.tsv');
    assert.deepEqual(pairs.pairs?.map((p) => [p.answer, p.line]), [['Paris', 1], ['Oslo', 3]]);
    assert.deepEqual(pairs.questions, [{ question: 'Where was A born?', line: 1 }, { question: 'Where was B born?', line: 3 }]);
    const questions = parseEvalTsv('Where was A born?\nWhere was B born?\n', 'test.tsv');
    assert.equal(questions.pairs, undefined);
    assert.equal(questions.questions.length, 2);
    // One good line lost its tab among good lines: that line, by file and number, and how many are fine.
    const good = Array.from({ length: 6 }, (_, i) => `Where was P${i} born?\tTown${i}`);
    const mixed = [...good.slice(0, 3), 'Where was Q born? Lima', ...good.slice(3)].join('\n');
    assert.throws(() => parseEvalTsv(mixed, 'dev.tsv'), isDataError(/^dev\.tsv line 4: no tab in "Where was Q born\? Lima", but 6 of the file's 7 lines are "question<TAB>answer".*lines without a tab: 4$/));
    // Mostly questions, with one stray answer: the line with the tab.
    assert.throws(() => parseEvalTsv('Where was A born?\nWhere was B born?\tOslo\nWhere was C born?\n', 'test.tsv'), isDataError(/^test\.tsv line 2: a tab in .*2 of the file's 3 lines are questions alone.*Lines with a tab: 2$/));
  });

  it('holds out a seeded random part of the pairs, both parts in file order, and writes them back as TSV', () => {
    const pairs = parseQaTsv(Array.from({ length: 10 }, (_, i) => `Where was P${i} born?\tTown${i}`).join('\n'), 'train.tsv');
    const { kept, heldOut } = holdOut(pairs, 3, 7);
    assert.equal(heldOut.length, 3);
    assert.equal(kept.length, 7);
    // Every pair lands in exactly one part, and each part keeps the file's order.
    assert.deepEqual([...kept, ...heldOut].map((p) => p.line).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const part of [kept, heldOut]) assert.deepEqual(part.map((p) => p.line), [...part.map((p) => p.line)].sort((a, b) => a - b));
    assert.deepEqual(holdOut(pairs, 3, 7), { kept, heldOut }); // the same seed, the same split
    const others = [1, 2, 3, 4, 5].map((seed) => holdOut(pairs, 3, seed).heldOut.map((p) => p.line).join());
    assert.ok(new Set(others).size > 1, 'different seeds should draw different pairs');
    // Written and read back: the same questions and answers.
    const back = parseQaTsv(formatQaTsv(heldOut), 'heldout.tsv');
    assert.deepEqual(back.map((p) => [p.question, p.answer]), heldOut.map((p) => [p.question, p.answer]));
    assert.throws(() => holdOut(pairs, 10, 0), isDataError(/count must be an integer from 1 to 9 \(there are 10 pairs\), got 10/));
    assert.throws(() => holdOut(pairs, 0, 0), isDataError(/holdOut: count/));
    assert.throws(() => formatQaTsv([{ question: 'a\tb', answer: 'c', line: 4, file: 'x.tsv' }]), isDataError(/x\.tsv line 4 holds a tab/));
  });

  it('stops on a file that is missing, UTF-16, or not UTF-8, saying which line', () => {
    const latin1 = path.join(dir, 'latin1.tsv');
    fs.writeFileSync(latin1, Buffer.concat([Buffer.from('Where was A born?\tParis\nWhere was Ren'), Buffer.from([0xe9]), Buffer.from(' born?\tParis\n')]));
    assert.throws(() => readQaTsv(latin1), isDataError(/latin1\.tsv line 2: not valid UTF-8 \(byte 0xE9 at byte 14 of the line\)/));
    const utf16 = path.join(dir, 'utf16.tsv');
    fs.writeFileSync(utf16, Buffer.from('\uFEFFWhere\tParis', 'utf16le'));
    assert.throws(() => readQaTsv(utf16), isDataError(/utf16\.tsv: looks like UTF-16/));
    assert.throws(() => readQaTsv(path.join(dir, 'nope.tsv')), isDataError(/nope\.tsv: no such file/));
    const good = path.join(dir, 'good.tsv');
    fs.writeFileSync(good, '\uFEFFWhere was Ondřej born?\tPrague\r\n');
    assert.deepEqual(readQaTsv(good), [{ question: 'Where was Ondřej born?', answer: 'Prague', line: 1, file: good }]);
    assert.equal(readTextFile(good), 'Where was Ondřej born?\tPrague\n');
  });

  it('finds the first invalid UTF-8 sequence (overlong, surrogate, cut off)', () => {
    assert.equal(firstInvalidUtf8(Buffer.from('añ€𝄞', 'utf8')), -1);
    assert.equal(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0xaf])), 1); // overlong '/'
    assert.equal(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80])), 0); // a UTF-16 surrogate
    assert.equal(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x82])), 2); // cut off at the end
    assert.equal(firstInvalidUtf8(Uint8Array.from([0xe2, 0x28, 0xa1])), 0); // bad continuation
  });
});

describe('data: dataset edge cases', () => {
  const corpus = 'Where was Ada born? In London.\nxy\n';
  const vocab = Vocab.fromCorpus(corpus);

  it('span corruption: clear errors for an empty corpus, only short lines, a block too small, unknown characters', () => {
    assert.throws(() => new CharCorruptionDataset(vocab, '', 64), isDataError(/no document .* at least 4 characters \(it is empty\)/));
    assert.throws(() => new CharCorruptionDataset(vocab, 'ab\nxy\n', 64), isDataError(/3 line\(s\), all shorter/));
    assert.throws(() => new CharCorruptionDataset(vocab, corpus, 8), isDataError(/blockSize must be an integer of at least 9/));
    assert.throws(() => new CharCorruptionDataset(vocab, `${corpus}\nWhere was Zoe born?`, 64), isDataError(/pretraining corpus line 4: character 'Z'/));
    const ds = new CharCorruptionDataset(vocab, corpus, 64);
    assert.throws(() => ds.corrupt('abc', new Rng(0)), isDataError(/has 3 characters, fewer than 4/));
    assert.throws(() => ds.example(1, new Rng(0)), /index 1 outside 0\.\.0/);
  });

  it('span corruption at the smallest block size still fits every draw', () => {
    const ds = new CharCorruptionDataset(vocab, corpus, 9);
    const rng = new Rng(5);
    for (let k = 0; k < 500; k++) {
      const { x, y } = ds.example(0, rng);
      assert.equal(x.length, 8);
      assert.equal(y.length, 8);
    }
  });

  it('NameDataset: a character missing from the corpus (after folding) stops with file and line; folding is counted', () => {
    const pairs = [
      { question: 'Where was Ada born?', answer: 'London', line: 1, file: 'a.tsv' },
      { question: 'Where was Adá born?', answer: 'London', line: 2, file: 'a.tsv' },
    ];
    assert.equal(new NameDataset(vocab, pairs, 32).droppedChars, 0);
    assert.equal(new NameDataset(vocab, [{ question: 'Where was Ada 🙂 born?', answer: 'London', line: 1 }], 32).droppedChars, 1);
    const noQuestionMark = Vocab.fromCorpus('Where was Ada born. In London.');
    assert.throws(() => new NameDataset(noQuestionMark, pairs, 32), isDataError(/^a\.tsv line 1: character '\?'/));
    assert.throws(() => encodePrompt(noQuestionMark, 'Where was Ada born?'), isDataError(/character '\?'/));
    assert.throws(() => new NameDataset(vocab, pairs, 3), isDataError(/blockSize must be an integer of at least 4/));
    assert.throws(() => new NameDataset(vocab, [], 32), isDataError(/no question\/answer pairs/));
    assert.throws(() => new NameDataset(vocab, [{ question: '🙂', answer: 'London', line: 9 }], 32), isDataError(/line 9: the question has nothing left/));
  });
});

describe('data: collate', () => {
  const ex = (x: number[], y: number[]): Example => ({ x: Int32Array.from(x), y: Int32Array.from(y) });

  it('stacks rows and counts the targets that are not PAD', () => {
    const b = collate([ex([5, 6, 7, 8], [0, 7, 8, 0]), ex([9, 10, 11, 12], [10, 0, 0, 0])]);
    assert.equal(b.batchSize, 2);
    assert.equal(b.time, 4);
    assert.deepEqual(Array.from(b.x), [5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(Array.from(b.y), [0, 7, 8, 0, 10, 0, 0, 0]);
    assert.equal(b.usefulTokens, 3);
  });

  it('trimPad drops exactly the trailing columns where every row targets PAD', () => {
    const rows = [ex([1, 2, 3, 4, 5, 6], [0, 3, 4, 0, 0, 0]), ex([7, 8, 9, 10, 11, 12], [8, 0, 0, 0, 0, 0])];
    const full = collate(rows);
    const b = collate(rows, { trimPad: true });
    assert.equal(b.time, 3, 'column 2 is the last with a real target');
    assert.deepEqual(Array.from(b.x), [1, 2, 3, 7, 8, 9]);
    assert.deepEqual(Array.from(b.y), [0, 3, 4, 8, 0, 0]);
    assert.equal(b.usefulTokens, full.usefulTokens);
    const allPad = collate([ex([1, 2], [0, 0])], { trimPad: true });
    assert.equal(allPad.time, 1, 'keeps one column so that the batch is never empty');
    assert.equal(allPad.usefulTokens, 0);
  });

  it('trimPad on real finetuning examples keeps every target and only drops PAD', () => {
    const vocab = Vocab.fromCorpus('Where was Ada Lovelace born? In London, near Paris.');
    const ds = new NameDataset(vocab, [
      { question: 'Where was Ada born?', answer: 'Paris', line: 1 },
      { question: 'Where was Ada Lovelace born?', answer: 'London', line: 2 },
    ], 64);
    const b = collate([ds.example(0), ds.example(1)], { trimPad: true });
    assert.equal(b.time, 'Where was Ada Lovelace born?'.length + 'London'.length + 1, 'the longest row ends with its closing MASK target');
    assert.equal(b.usefulTokens, 'Paris'.length + 2 + 'London'.length + 2);
  });

  it('rejects an empty list and rows of different lengths', () => {
    assert.throws(() => collate([]), /no examples/);
    assert.throws(() => collate([ex([1, 2], [2, 0]), ex([1], [0])]), /example 1 has x\/y lengths 1\/1, expected 2/);
  });
});

describe('data: the real corpus (when present)', () => {
  const found = resolveDataDir();
  before(function () {
    if (found === undefined) {
      console.log('      (real birthplace corpus not found: set MINGPT_DATA_DIR or see data/README.md; skipping)');
      this.skip();
    }
  });

  it('has 256 vocabulary ids from wiki.txt, 2000/500 pairs, and every question encodes at block size 128', () => {
    const c = loadCorpus({ corpus: 'real' });
    assert.equal(c.source, 'real');
    const vocab = Vocab.fromCorpus(c.pretrainText);
    assert.equal(vocab.size, 256);
    assert.equal(c.train.length, 2000);
    assert.equal(c.dev.length, 500);
    assert.equal(c.testQuestions?.length, 437);
    assert.equal(c.dev.filter((q) => foldedAnswer(q.answer) === 'London').length, 25, 'the always-London baseline scores 5%');
    const train = new NameDataset(vocab, c.train, 128);
    const dev = new NameDataset(vocab, c.dev, 128);
    assert.equal(train.length + dev.length, 2500);
    for (const q of c.testQuestions ?? []) assert.equal(encodePrompt(vocab, q.question).slice(-1)[0], vocab.maskId);
    const pre = new CharCorruptionDataset(vocab, c.pretrainText, 128);
    assert.equal(pre.length, 2937);
    assert.equal(pre.skippedDocuments, 1, 'the empty last line');
  });
});
