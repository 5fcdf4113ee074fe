/**
 * Graded checks for the two datasets a student writes: span corruption (CharCorruptionDataset) and the
 * finetuning examples (NameDataset). They test properties, not one particular random stream, so any correct
 * implementation passes whatever order it draws its random numbers in.
 */
import * as assert from 'node:assert/strict';
import { CharCorruptionDataset, DataError, MASK_CHAR, NameDataset, PAD_CHAR, Vocab, encodePrompt } from '../../lib/data';
import { Rng } from '../../lib/util/random';

const LONG_DOC =
  'Ada Lovelace was born in London in 1815 and wrote the first published program for the Analytical Engine, ' +
  'a machine designed by Charles Babbage; she is remembered as a pioneer of computing.';
const SHORT_DOC = 'Oslo!';
const CORPUS = [LONG_DOC, SHORT_DOC, '', 'ab', 'Where was Ondrej born? In Prague.'].join('\n');

/** Split a decoded example string  prefix ⁇ suffix ⁇ masked □□□  into its parts (and check the padding). */
function parseCorrupted(full: string): { prefix: string; suffix: string; masked: string; padding: number } {
  const firstPad = full.indexOf(PAD_CHAR);
  const body = firstPad < 0 ? full : full.slice(0, firstPad);
  const padding = full.length - body.length;
  assert.equal(full.slice(body.length), PAD_CHAR.repeat(padding), `PAD must only fill the end: ${JSON.stringify(full)}`);
  const pieces = body.split(MASK_CHAR);
  assert.equal(pieces.length, 3, `expected exactly two MASKs in ${JSON.stringify(body)}`);
  return { prefix: pieces[0], suffix: pieces[1], masked: pieces[2], padding };
}

describe('part: span corruption', () => {
  const vocab = Vocab.fromCorpus(CORPUS);

  it('[2 pts] truncates to between 4 and floor(7/8 block_size) characters, keeping short documents whole', () => {
    const blockSize = 32; // longest truncation: 28
    const ds = new CharCorruptionDataset(vocab, CORPUS, blockSize);
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let k = 0; k < 3000; k++) {
      const p = ds.corrupt(LONG_DOC, rng);
      assert.ok(p.truncatedLength >= 4 && p.truncatedLength <= 28, `truncatedLength ${p.truncatedLength} outside [4, 28]`);
      assert.equal(p.prefix.length + p.masked.length + p.suffix.length, p.truncatedLength);
      seen.add(p.truncatedLength);
    }
    assert.equal(seen.size, 25, `every length from 4 to 28 should occur in 3000 draws, saw ${[...seen].sort((a, b) => a - b)}`);
    for (let k = 0; k < 200; k++) {
      const p = ds.corrupt(SHORT_DOC, rng);
      assert.ok(p.truncatedLength === 4 || p.truncatedLength === 5, `a 5-character document truncates to 4 or 5, got ${p.truncatedLength}`);
    }
  });

  it('[2 pts] prefix + masked + suffix is the start of the document, and the masked span is never empty', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 64);
    const rng = new Rng(2);
    let emptyPrefix = 0;
    let emptySuffix = 0;
    for (let k = 0; k < 2000; k++) {
      const p = ds.corrupt(LONG_DOC, rng);
      assert.ok(p.masked.length >= 1, 'masked span must hold at least one character');
      assert.ok(LONG_DOC.startsWith(p.prefix + p.masked + p.suffix), `${JSON.stringify(p)} does not rebuild the document's start`);
      if (p.prefix === '') emptyPrefix++;
      if (p.suffix === '') emptySuffix++;
    }
    // The span's position is random: it is not always at the start nor always at the end.
    assert.ok(emptyPrefix < 1000 && emptySuffix < 1000, `span position looks fixed (empty prefix ${emptyPrefix}, empty suffix ${emptySuffix} of 2000)`);
  });

  it('[2 pts] the masked span is 1/4 of the truncated length on average (tolerance 0.025)', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 128);
    const rng = new Rng(3);
    let masked = 0;
    let truncated = 0;
    for (let k = 0; k < 6000; k++) {
      const p = ds.corrupt(LONG_DOC, rng);
      masked += p.masked.length;
      truncated += p.truncatedLength;
    }
    const ratio = masked / truncated;
    // With 6000 draws the sampling error of this ratio is about 0.002; 0.025 admits uniform choices on
    // 1..L/2 - 1 (mean L/4) as well as 1..L/2 (mean L/4 + 1/2).
    assert.ok(Math.abs(ratio - 0.25) < 0.025, `mean masked / mean truncated = ${ratio.toFixed(4)}, expected 0.25 +- 0.025`);
  });

  it('[3 pts] example: prefix MASK suffix MASK masked, padded to block_size, x and y shifted by one', () => {
    const blockSize = 48;
    const ds = new CharCorruptionDataset(vocab, CORPUS, blockSize);
    const rng = new Rng(4);
    for (let k = 0; k < 300; k++) {
      const i = k % ds.length;
      const { x, y } = ds.example(i, rng);
      assert.equal(x.length, blockSize - 1);
      assert.equal(y.length, blockSize - 1);
      for (let t = 0; t + 1 < x.length; t++) assert.equal(y[t], x[t + 1], `y[${t}] must equal x[${t + 1}]`);
      const full = vocab.decode(x) + vocab.decode([y[y.length - 1]]);
      assert.equal(full.length, blockSize);
      const parts = parseCorrupted(full);
      const doc = ds.documents[i];
      assert.ok(parts.masked.length >= 1, 'masked content must follow the second MASK');
      assert.ok(doc.startsWith(parts.prefix + parts.masked + parts.suffix), `parts of ${JSON.stringify(full)} do not rebuild the document's start`);
      assert.equal(parts.padding, blockSize - (parts.prefix.length + parts.suffix.length + parts.masked.length + 2));
    }
  });

  it('[1 pts] draws from the generator it is given: same seed, same example; other seeds, other examples', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 64);
    const a = ds.example(0, new Rng(7));
    const b = ds.example(0, new Rng(7));
    assert.deepEqual(Array.from(a.x), Array.from(b.x));
    const distinct = new Set<string>();
    for (let s = 0; s < 20; s++) distinct.add(Array.from(ds.example(0, new Rng(100 + s)).x).join(','));
    assert.ok(distinct.size >= 10, `20 seeds gave only ${distinct.size} different examples`);
  });

  it('[0 pts] lines shorter than 4 characters are not documents (provided code)', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 64);
    assert.deepEqual(ds.documents, [LONG_DOC, SHORT_DOC, 'Where was Ondrej born? In Prague.']);
    assert.equal(ds.length, 3);
    assert.equal(ds.skippedDocuments, 2);
  });
});

describe('part: NameDataset', () => {
  const vocab = Vocab.fromCorpus('Where was Ada Lovelace born? In London, near Paris. Ondrej Okland.');
  const pair = { question: 'Where was Ada born?', answer: 'Paris', line: 1 };

  it('[3 pts] builds x and y exactly as derived by hand', () => {
    // question: 19 characters. s = question ⁇ Paris ⁇ (26 characters) + 4 PAD = 30; x = s[0..28], which
    // drops one PAD; y = 18 PAD (no targets inside the question), then s[19..29] = ⁇ Paris ⁇ + 4 PAD.
    const ds = new NameDataset(vocab, [pair], 30);
    const { x, y } = ds.example(0);
    const P = PAD_CHAR;
    const M = MASK_CHAR;
    assert.equal(vocab.decode(x), `Where was Ada born?${M}Paris${M}${P}${P}${P}`);
    assert.equal(vocab.decode(y), `${P.repeat(18)}${M}Paris${M}${P}${P}${P}${P}`);
  });

  it('[2 pts] every example has block_size - 1 ids, and y is x shifted by one from the end of the question on', () => {
    const pairs = [pair, { question: 'Where was Ada Lovelace born?', answer: 'London', line: 2 }, { question: 'Where was Ondrej Okland born?', answer: 'Paris', line: 3 }];
    const blockSize = 40;
    const ds = new NameDataset(vocab, pairs, blockSize);
    assert.equal(ds.length, 3);
    pairs.forEach((p, i) => {
      const { x, y } = ds.example(i);
      assert.equal(x.length, blockSize - 1);
      assert.equal(y.length, blockSize - 1);
      const q = p.question.length;
      for (let t = 0; t < q - 1; t++) assert.equal(y[t], vocab.padId, `y[${t}] is inside the question: must be PAD`);
      for (let t = q - 1; t + 1 < x.length; t++) assert.equal(y[t], x[t + 1], `y[${t}] must equal x[${t + 1}]`);
      assert.equal(y[q - 1], vocab.maskId, 'the target after the question mark is MASK');
      assert.equal(vocab.decode(y.slice(q, q + p.answer.length)), p.answer, 'then the answer');
    });
  });

  it('[1 pts] folds names to ASCII, the same way as encodePrompt does for evaluation', () => {
    const ds = new NameDataset(vocab, [{ question: 'Where was Ondřej Økland born?', answer: 'Paris', line: 1 }], 40);
    const { x } = ds.example(0);
    const expected = 'Where was Ondrej Okland born?' + MASK_CHAR;
    assert.equal(vocab.decode(x.slice(0, expected.length)), expected);
    assert.deepEqual(encodePrompt(vocab, 'Where was Ondřej Økland born?'), Array.from(x.slice(0, expected.length)));
  });

  it('[0 pts] a question and answer too long for the block stop with an error naming the line (provided code)', () => {
    assert.throws(
      () => new NameDataset(vocab, [pair, { question: 'Where was Ada Lovelace born?', answer: 'London', line: 7, file: 'dev.tsv' }], 30),
      (e: unknown) => e instanceof DataError && /dev\.tsv line 7/.test(e.message) && /36 characters/.test(e.message) && /blockSize 30/.test(e.message),
    );
  });
});
