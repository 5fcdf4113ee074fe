/**
 * Graded checks for the two datasets a student writes: span corruption (CharCorruptionDataset) and the
 * finetuning examples (NameDataset). They test properties, not one particular random stream, so any correct
 * implementation passes whatever order it draws its random numbers in.
 */
import * as assert from 'node:assert/strict';
import { CharCorruptionDataset, DataError, MASK_CHAR, NameDataset, PAD_CHAR, Vocab, encodePrompt } from '../../lib/data';
import { Rng } from '../../lib/util/random';
import { expectEqual, expectThat, fail, num, show } from './check';

const LONG_DOC =
  'Ada Lovelace was born in London in 1815 and wrote the first published program for the Analytical Engine, ' +
  'a machine designed by Charles Babbage; she is remembered as a pioneer of computing.';
const SHORT_DOC = 'Oslo!';
const CORPUS = [LONG_DOC, SHORT_DOC, '', 'ab', 'Where was Ondrej born? In Prague.'].join('\n');

/** Split a decoded example string  prefix ⁇ suffix ⁇ masked □□□  into its parts (and check the padding). */
function parseCorrupted(full: string, call: string): { prefix: string; suffix: string; masked: string; padding: number } {
  const firstPad = full.indexOf(PAD_CHAR);
  const body = firstPad < 0 ? full : full.slice(0, firstPad);
  const padding = full.length - body.length;
  expectThat(full.slice(body.length) === PAD_CHAR.repeat(padding), { call, expected: `PAD (${PAD_CHAR}) only at the end`, got: JSON.stringify(full), hint: 'pad after the rearranged text, up to block_size, and nowhere else.' });
  const pieces = body.split(MASK_CHAR);
  expectThat(pieces.length === 3, {
    call,
    expected: `prefix ${MASK_CHAR} suffix ${MASK_CHAR} masked, then padding: exactly two MASK characters (${MASK_CHAR})`,
    got: `${pieces.length - 1} in ${JSON.stringify(full)}`,
    hint: pieces.length === 2 ? 'the second MASK is missing: the masked span follows a MASK of its own, after the suffix.' : undefined,
  });
  return { prefix: pieces[0], suffix: pieces[1], masked: pieces[2], padding };
}

describe('part: span corruption', () => {
  const vocab = Vocab.fromCorpus(CORPUS);

  it('[2 pts] truncates to between 4 and floor(7/8 block_size) characters, keeping short documents whole', () => {
    const blockSize = 32; // longest truncation: 28
    const ds = new CharCorruptionDataset(vocab, CORPUS, blockSize);
    const rng = new Rng(1);
    const seen = new Set<number>();
    const call = `corrupt(a ${LONG_DOC.length}-character document, rng) with block_size 32, 3000 draws (Rng(1))`;
    for (let k = 0; k < 3000; k++) {
      const p = ds.corrupt(LONG_DOC, rng);
      expectThat(p.truncatedLength >= 4 && p.truncatedLength <= 28, { call, expected: 'truncatedLength from 4 to 28 = floor(7 * 32 / 8)', got: `${p.truncatedLength} in draw ${k + 1}: ${show(p)}`, hint: p.truncatedLength > 28 ? 'draw the truncated length up to floor(7 * block_size / 8), not up to block_size.' : undefined });
      expectThat(p.prefix.length + p.masked.length + p.suffix.length === p.truncatedLength, { call, expected: 'prefix + masked + suffix as long as truncatedLength', got: show(p) });
      seen.add(p.truncatedLength);
    }
    const lengths = [...seen].sort((a, b) => a - b);
    expectThat(seen.size === 25, { call, expected: 'every length from 4 to 28 at least once', got: `the lengths ${lengths.join(', ')}`, hint: 'draw the length uniformly from 4 to floor(7 * block_size / 8), both ends included.' });
    for (let k = 0; k < 200; k++) {
      const p = ds.corrupt(SHORT_DOC, rng);
      expectThat(p.truncatedLength === 4 || p.truncatedLength === 5, { call: `corrupt(${JSON.stringify(SHORT_DOC)}, rng), block_size 32`, expected: 'truncatedLength 4 or 5 (a document shorter than the drawn length is kept whole)', got: show(p) });
    }
  });

  it('[2 pts] prefix + masked + suffix is the start of the document, and the masked span is never empty', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 64);
    const rng = new Rng(2);
    let emptyPrefix = 0;
    let emptySuffix = 0;
    const call = 'corrupt(LONG_DOC, rng) with block_size 64, 2000 draws (Rng(2))';
    for (let k = 0; k < 2000; k++) {
      const p = ds.corrupt(LONG_DOC, rng);
      expectThat(p.masked.length >= 1, { call, expected: 'a masked span of at least one character', got: show(p) });
      expectThat(LONG_DOC.startsWith(p.prefix + p.masked + p.suffix), { call, expected: 'prefix + masked + suffix = the document\'s first truncatedLength characters', got: show(p), hint: 'cut the truncated text in three consecutive pieces, in that order.' });
      if (p.prefix === '') emptyPrefix++;
      if (p.suffix === '') emptySuffix++;
    }
    // The span's position is random: it is not always at the start nor always at the end.
    expectThat(emptyPrefix < 1000 && emptySuffix < 1000, { call, expected: 'a span placed at random (empty prefix and empty suffix each in under half of the draws)', got: `empty prefix in ${emptyPrefix}, empty suffix in ${emptySuffix} of 2000`, hint: 'draw where the masked span starts, anywhere it fits.' });
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
    const hint = ratio > 0.4 ? 'the spans are about half the text: draw the masked length from 1 to about L/2, so that it is L/4 on average.' : ratio < 0.1 ? 'the spans are very short: draw the masked length from 1 to about L/2 (L the truncated length).' : undefined;
    expectThat(Math.abs(ratio - 0.25) < 0.025, { call: 'mean masked length / mean truncatedLength over 6000 draws of corrupt(LONG_DOC, rng), block_size 128 (Rng(3))', expected: '0.25 +- 0.025', got: num(ratio), hint });
  });

  it('[3 pts] example: prefix MASK suffix MASK masked, padded to block_size, x and y shifted by one', () => {
    const blockSize = 48;
    const ds = new CharCorruptionDataset(vocab, CORPUS, blockSize);
    const rng = new Rng(4);
    for (let k = 0; k < 300; k++) {
      const i = k % ds.length;
      const { x, y } = ds.example(i, rng);
      const call = `example(${i}, rng) with block_size 48 (draw ${k + 1} from Rng(4)); document ${i}: ${JSON.stringify(ds.documents[i].slice(0, 60))}`;
      expectThat(x.length === blockSize - 1 && y.length === blockSize - 1, { call, expected: 'x and y of length block_size - 1 = 47', got: `x ${x.length}, y ${y.length}` });
      for (let t = 0; t + 1 < x.length; t++) {
        if (y[t] !== x[t + 1]) fail([call, `  expected y[t] = x[t + 1] for every t`, `  got      y[${t}] = ${y[t]}, x[${t + 1}] = ${x[t + 1]}`, `  x = ${JSON.stringify(vocab.decode(x))}`, `  y = ${JSON.stringify(vocab.decode(y))}`, '  hint: x is the padded text without its last character, y the same without its first.']);
      }
      const full = vocab.decode(x) + vocab.decode([y[y.length - 1]]);
      const parts = parseCorrupted(full, `${call}; x + last of y = ${JSON.stringify(full)}`);
      const doc = ds.documents[i];
      expectThat(parts.masked.length >= 1, { call, expected: 'masked content after the second MASK', got: JSON.stringify(full) });
      expectThat(doc.startsWith(parts.prefix + parts.masked + parts.suffix), { call, expected: 'prefix + masked + suffix to rebuild the start of the document', got: `${show(parts)} from ${JSON.stringify(full)}`, hint: 'the order is prefix MASK suffix MASK masked.' });
      expectThat(parts.padding === blockSize - (parts.prefix.length + parts.suffix.length + parts.masked.length + 2), { call, expected: 'PAD filling the rest of the block', got: JSON.stringify(full) });
    }
  });

  it('[1 pts] draws from the generator it is given: same seed, same example; other seeds, other examples', () => {
    const ds = new CharCorruptionDataset(vocab, CORPUS, 64);
    const a = ds.example(0, new Rng(7));
    const b = ds.example(0, new Rng(7));
    expectEqual(Array.from(b.x), Array.from(a.x), { call: 'example(0, new Rng(7)) twice', hint: 'draw every random number from the rng argument (not Math.random).' });
    const distinct = new Set<string>();
    for (let s = 0; s < 20; s++) distinct.add(Array.from(ds.example(0, new Rng(100 + s)).x).join(','));
    expectThat(distinct.size >= 10, { call: 'example(0, new Rng(seed)) for 20 seeds', expected: 'at least 10 different examples', got: String(distinct.size), hint: 'draw every random number from the rng argument.' });
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
    const s = `Where was Ada born?${M}Paris${M}${P.repeat(4)}`;
    const call = `new NameDataset(vocab, [{ question: 'Where was Ada born?', answer: 'Paris' }], blockSize 30).example(0)`;
    expectEqual(vocab.decode(x), s.slice(0, -1), { call: `${call}.x (decoded)`, hint: 'x is question MASK answer MASK, padded to block_size, without its last character.' });
    expectEqual(vocab.decode(y), `${P.repeat(18)}${s.slice(19)}`, {
      call: `${call}.y (decoded)`,
      mistakes: [
        { value: s.slice(1), hint: 'y is x shifted by one everywhere: the positions inside the question must be PAD (no loss on predicting the question).' },
        { value: `${P.repeat(19)}${s.slice(20)}`, hint: 'one PAD too many: y[t] predicts x[t + 1], so the target at the question mark (t = 18) is the first MASK.' },
        { value: `${P.repeat(17)}${s.slice(18)}`, hint: 'one PAD too few: only the targets of the question\'s own characters are PAD, so y starts with 18 = len(question) - 1 PADs.' },
      ],
    });
  });

  it('[2 pts] every example has block_size - 1 ids, and y is x shifted by one from the end of the question on', () => {
    const pairs = [pair, { question: 'Where was Ada Lovelace born?', answer: 'London', line: 2 }, { question: 'Where was Ondrej Okland born?', answer: 'Paris', line: 3 }];
    const blockSize = 40;
    const ds = new NameDataset(vocab, pairs, blockSize);
    assert.equal(ds.length, 3);
    pairs.forEach((p, i) => {
      const { x, y } = ds.example(i);
      const call = `example(${i}) for ${JSON.stringify(p.question)} -> ${JSON.stringify(p.answer)}, blockSize 40; x = ${JSON.stringify(vocab.decode(x))}, y = ${JSON.stringify(vocab.decode(y))}`;
      expectThat(x.length === blockSize - 1 && y.length === blockSize - 1, { call, expected: 'x and y of length 39', got: `x ${x.length}, y ${y.length}` });
      const q = p.question.length;
      for (let t = 0; t < q - 1; t++) expectThat(y[t] === vocab.padId, { call, expected: `PAD at y[${t}] (inside the question)`, got: JSON.stringify(vocab.decode([y[t]])) });
      for (let t = q - 1; t + 1 < x.length; t++) expectThat(y[t] === x[t + 1], { call, expected: `y[${t}] = x[${t + 1}]`, got: `${JSON.stringify(vocab.decode([y[t]]))} and ${JSON.stringify(vocab.decode([x[t + 1]]))}` });
      expectThat(y[q - 1] === vocab.maskId, { call, expected: `MASK at y[${q - 1}], the target after the question mark`, got: JSON.stringify(vocab.decode([y[q - 1]])) });
      expectEqual(vocab.decode(y.slice(q, q + p.answer.length)), p.answer, { call: `${call}: the answer after it` });
    });
  });

  it('[1 pts] folds names to ASCII, the same way as encodePrompt does for evaluation', () => {
    const ds = new NameDataset(vocab, [{ question: 'Where was Ondřej Økland born?', answer: 'Paris', line: 1 }], 40);
    const { x } = ds.example(0);
    const expected = 'Where was Ondrej Okland born?' + MASK_CHAR;
    const call = "new NameDataset(vocab, [{ question: 'Where was Ondřej Økland born?', answer: 'Paris' }], 40).example(0).x";
    expectEqual(vocab.decode(x.slice(0, expected.length)), expected, { call, hint: 'encode with the vocabulary\'s own encode, which folds letters like ř and Ø to ASCII (as encodePrompt does).' });
    expectEqual(Array.from(x.slice(0, expected.length)), encodePrompt(vocab, 'Where was Ondřej Økland born?'), { call: `${call} against encodePrompt(vocab, the question)` });
  });

  it('[0 pts] a question and answer too long for the block stop with an error naming the line (provided code)', () => {
    assert.throws(
      () => new NameDataset(vocab, [pair, { question: 'Where was Ada Lovelace born?', answer: 'London', line: 7, file: 'dev.tsv' }], 30),
      (e: unknown) => e instanceof DataError && /dev\.tsv line 7/.test(e.message) && /36 characters/.test(e.message) && /blockSize 30/.test(e.message),
    );
  });
});
