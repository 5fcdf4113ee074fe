/**
 * A synthetic knowledge corpus, generated from a seed: invented people, each born in one place, described by
 * short biographies, with question/answer files in the format of the real exercise.
 *
 * It stands in for the real Wikipedia corpus when that is absent, and is what fast tests and CPU-sized
 * experiments train on. The knobs set how hard it is to learn:
 * - size: `people`, `places`, `devFraction` (people held out: their birthplace appears only in the
 *   pretraining text, as for the dev set of the real exercise);
 * - exposure: `docsPerPerson` (separate lines about the same person), `mentionsPerDoc` (how often a line
 *   states the birthplace), `fillerSentences` (other facts per line);
 * - form: `templates` (how many phrasings of "NAME was born in PLACE"), `placeFirstShare` (phrasings with the
 *   place before the name, which a left-to-right model cannot use to recall the place from the name),
 *   `birthplaceFirst` (the first sentence states it: span corruption only sees the first 7/8 block_size
 *   characters of a line), `distractorShare` (lines that also name another place), `nameSyllables`;
 * - the answer distribution: `londonShare`, the share of people born in London (5% in the real dev set,
 *   which is what the always-"London" baseline scores); every other place is equally common, and the dev
 *   people are spread over the places in the same proportions.
 * Two presets. DEFAULT_WORLD_OPTIONS is the world of notebooks 5 to 7, of the CLI's `--corpus synthetic` and of
 * notebook 8's synthetic rows: 280 people, 200 of them dev questions (so that a gap of a few points is several
 * standard errors), 24 places, one line per person, "NAME, born in PLACE." (LESSON_BIRTH_TEMPLATES), names of one
 * shape ("Mogo Kire"), and a quarter of the people famous: their line is written four times. What the choices buy,
 * measured with the `smoke` model (2 x 64, batch 16, seed 0, vanilla; records of notebook 8 for the final one):
 * - a small model first learns only which places are common, and recalls no one's birthplace for a long plateau
 *   (about 2,500-3,000 steps here), then starts storing facts; a few people seen more often than the rest end the
 *   plateau sooner (recall of dev lines 57 of 200 after 2,700 steps with famous people, 0-13 of 200 at the same
 *   point without them), and names of one length sit at the same offsets in every line;
 * - a fact stored in one phrasing is not retrieved for a new question just because it is stored: with "NAME was
 *   born in PLACE." the model completed 77 of 200 dev lines and answered 3% of the dev questions after finetuning;
 *   with "NAME, born in PLACE." (the name right before "born", as in "Where was NAME born?") 10.5% with 80 of 200
 *   lines recalled;
 * - more phrasings per person help retrieval in larger models but slowed storage past the budget here (four
 *   phrasings: no recall after 2,700 steps).
 * PLAIN_WORLD_OPTIONS (48 people, 12 dev, 12 places, three documents per person of two birth sentences in two
 * phrasings) is a smaller plain world for quick experiments. How often a name and its place are seen together sets
 * how fast a world is learnt: span corruption truncates each document to a uniform 4 .. 7/8 block_size
 * characters, and exposures per step scale as 1 / people.
 *
 * The vocabulary comes from the pretraining text alone, so every character of the questions and answers
 * must occur there: a fixed first line ("Who was born where? ...") guarantees "W" and "?", and
 * `generateWorld` checks the rest.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from './errors';
import type { QA } from './tsv';
import { countTextLines } from './text';
import { Rng } from '../util/random';

export interface WorldOptions {
  seed: number;
  /** Number of invented people. */
  people: number;
  /** Number of distinct birthplaces, London always among them (at most PLACE_NAMES.length). */
  places: number;
  /** Share of the people held out as the dev set (rounded; at least one person on each side). */
  devFraction: number;
  /** Lines (documents) about each person in the pretraining text. */
  docsPerPerson: number;
  /** Sentences stating the birthplace in each document. */
  mentionsPerDoc: number;
  /** Sentences about other things in each document. */
  fillerSentences: number;
  /** How many name-first phrasings of the birth sentence to draw from (1 .. NAME_FIRST_TEMPLATES.length). */
  templates: number;
  /**
   * The name-first phrasings to draw from instead of the first `templates` of NAME_FIRST_TEMPLATES (each holds
   * {N} before {P}; {O}, {Y} may appear too).
   */
  birthTemplates?: string[];
  /** Share of birth sentences phrased with the place before the name. */
  placeFirstShare: number;
  /** Whether every document opens with a birth sentence (else it sits anywhere in the document). */
  birthplaceFirst: boolean;
  /** Share of documents with an extra sentence naming a different place (moved to, died in, ...). */
  distractorShare: number;
  /** Syllables per part of a name, [min, max]; names are "First Last". */
  nameSyllables: [number, number];
  /** Share of people born in London, rounded to whole people; the others are spread evenly over the other places. */
  londonShare: number;
  /**
   * Share of the people who are famous (rounded; drawn independently of the train/dev split): each famous person
   * has `famousDocs` documents instead of `docsPerPerson`. Some people being written about far more than others
   * shortens the plateau before a model starts to recall facts at all.
   */
  famousShare?: number;
  /** Documents about each famous person. */
  famousDocs?: number;
  /**
   * Names of one shape: each part two consonant-vowel syllables ("Bamo Kiru"), so that every name has the same
   * length and sits at the same positions in every line (nameSyllables is then ignored).
   */
  evenNames?: boolean;
}

/**
 * The default world's phrasing: the name, then "born", then the place, as close to "Where was NAME born?" as a
 * line of biography gets.
 */
export const LESSON_BIRTH_TEMPLATES: readonly string[] = ['{N}, born in {P}.'];

export interface Person {
  name: string;
  birthplace: string;
  split: 'train' | 'dev';
}

export interface World {
  /** One document per line; the first line is a fixed preamble. */
  pretrainText: string;
  train: QA[];
  dev: QA[];
  people: Person[];
  options: WorldOptions;
}

export const DEFAULT_WORLD_OPTIONS: Readonly<WorldOptions> = Object.freeze({
  seed: 0,
  people: 280,
  places: 24,
  devFraction: 200 / 280,
  docsPerPerson: 1,
  mentionsPerDoc: 1,
  fillerSentences: 0,
  templates: 1,
  birthTemplates: Object.freeze([...LESSON_BIRTH_TEMPLATES]) as string[],
  placeFirstShare: 0,
  birthplaceFirst: true,
  distractorShare: 0,
  nameSyllables: [2, 2] as [number, number],
  londonShare: 0.05,
  famousShare: 0.25,
  famousDocs: 4,
  evenNames: true,
});

/** The plainest world measured to be learnable in minutes on a CPU (see the module comment). */
export const PLAIN_WORLD_OPTIONS: Readonly<Partial<WorldOptions>> = Object.freeze({
  famousShare: 0,
  evenNames: false,
  people: 48,
  places: 12,
  devFraction: 0.25,
  docsPerPerson: 3,
  mentionsPerDoc: 2,
  fillerSentences: 0,
  templates: 2,
  placeFirstShare: 0,
  nameSyllables: [1, 2] as [number, number],
});

/** Candidate birthplaces, London first; a world with `places = k` uses London and k - 1 of the others. */
export const PLACE_NAMES: readonly string[] = [
  'London', 'Paris', 'Berlin', 'Madrid', 'Rome', 'Vienna', 'Prague', 'Lisbon', 'Dublin', 'Oslo', 'Athens', 'Warsaw',
  'Cairo', 'Lagos', 'Nairobi', 'Tokyo', 'Seoul', 'Lima', 'Quito', 'Havana', 'Boston', 'Chicago', 'Toronto', 'Sydney',
  'Delhi', 'Dhaka', 'Manila', 'Hanoi', 'Kyoto', 'Milan', 'Naples', 'Geneva', 'Zurich', 'Munich', 'Hamburg', 'Lyon',
  'Porto', 'Seville', 'Glasgow', 'Leeds', 'Bristol', 'Cardiff', 'Belfast', 'Montreal', 'Denver', 'Austin', 'Santiago',
  'Caracas', 'Accra', 'Dakar', 'Tunis', 'Beirut', 'Tehran', 'Riga', 'Tallinn', 'Vilnius', 'Sofia', 'Belgrade',
  'Zagreb', 'Budapest', 'Krakow', 'Bergen', 'Helsinki', 'Stockholm',
];

/** Birth sentences with the name before the place. {N} name, {P} place, {O} occupation, {Y} year. */
export const NAME_FIRST_TEMPLATES: readonly string[] = [
  '{N} was born in {P}.',
  '{N} was born in {P} in {Y}.',
  '{N}, born in {P}, was a {O}.',
  '{N} (born {Y} in {P}) was a {O}.',
  '{N} is a {O} who was born in {P}.',
  '{N} was a {O} born in {P}.',
  'The birthplace of {N} is {P}.',
  '{N} came into the world in {P}.',
];

/** Birth sentences with the place before the name. */
export const PLACE_FIRST_TEMPLATES: readonly string[] = [
  'Born in {P} in {Y}, {N} became a {O}.',
  '{P} is the birthplace of {N}.',
  'In {P}, in {Y}, {N} was born.',
];

/** Other facts. {S} surname, {K} a small number, {Y2} a later year, {T} a topic. Two of them ask a question. */
const FILLER_TEMPLATES: readonly string[] = [
  '{S} worked as a {O} for {K} years.',
  '{N} died in {Y2}.',
  '{S} married in {Y2}.',
  '{S} studied {T} as a child.',
  '{S} wrote {K} books about {T}.',
  '{S} won a prize for {T} in {Y2}.',
  'One book by {S} is called "Why {T}?".',
  '"What is {T}?" was the question {S} asked most.',
];

/** Sentences that name a place other than the birthplace ({Q}). */
const DISTRACTOR_TEMPLATES: readonly string[] = ['{S} later moved to {Q}.', '{S} died in {Q}.', '{S} worked in {Q} for {K} years.'];

const OCCUPATIONS = ['painter', 'poet', 'weaver', 'engineer', 'sailor', 'chemist', 'judge', 'singer', 'architect', 'farmer',
  'baker', 'surgeon', 'teacher', 'composer', 'actor', 'botanist', 'printer', 'jeweller', 'historian', 'mapmaker'];
const TOPICS = ['music', 'rivers', 'glass', 'stars', 'law', 'birds', 'bridges', 'salt', 'clocks', 'silk', 'maps', 'bees'];

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kr', 'st', 'tr', 'th', 'sh', 'ch'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ei', 'ou'];
const CODAS = ['n', 'r', 'l', 's', 'm'];

/** The fixed first line: it puts the question's "W" and "?" into every world's vocabulary. */
export const WORLD_PREAMBLE = 'Who was born where? Each line below is a short life of an invented person.';

const QUESTION = (name: string): string => `Where was ${name} born?`;

function checkOptions(o: WorldOptions): void {
  const bad = (name: keyof WorldOptions, want: string): never => {
    throw new DataError(`generateWorld: option ${name} must be ${want}, got ${JSON.stringify(o[name])}`);
  };
  const int = (name: keyof WorldOptions, lo: number, hi = Infinity): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(name, `an integer in [${lo}, ${hi}]`);
  };
  const share = (name: keyof WorldOptions): void => {
    const v = o[name];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(name, 'a number in [0, 1]');
  };
  if (!Number.isFinite(o.seed)) bad('seed', 'a finite number');
  int('people', 2);
  int('places', 1, PLACE_NAMES.length);
  if (!(o.devFraction > 0 && o.devFraction < 1)) bad('devFraction', 'a number strictly between 0 and 1');
  int('docsPerPerson', 1);
  int('mentionsPerDoc', 1);
  int('fillerSentences', 0);
  int('templates', 1, NAME_FIRST_TEMPLATES.length);
  share('placeFirstShare');
  share('distractorShare');
  share('londonShare');
  if (o.famousShare !== undefined) share('famousShare');
  if (o.famousDocs !== undefined) int('famousDocs', 1);
  if (o.birthTemplates !== undefined) {
    const t = o.birthTemplates;
    const fine = Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string' && x.includes('{N}') && x.indexOf('{N}') < x.indexOf('{P}'));
    if (!fine) bad('birthTemplates', 'a non-empty list of phrasings, each with {N} before {P}');
  }
  if (o.places === 1 && o.distractorShare > 0) bad('distractorShare', '0 when there is only one place');
  const [lo, hi] = o.nameSyllables;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 6) bad('nameSyllables', '[min, max] integers with 1 <= min <= max <= 6');
}

function makeNamePart(rng: Rng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) {
    s += rng.choice(ONSETS) + rng.choice(VOWELS);
    if (rng.random() < 0.25) s += rng.choice(CODAS);
  }
  return s[0].toUpperCase() + s.slice(1);
}

const SINGLE_ONSETS = ONSETS.filter((c) => c.length === 1);
const SINGLE_VOWELS = VOWELS.filter((v) => v.length === 1);

function makeEvenPart(rng: Rng): string {
  const s = rng.choice(SINGLE_ONSETS) + rng.choice(SINGLE_VOWELS) + rng.choice(SINGLE_ONSETS) + rng.choice(SINGLE_VOWELS);
  return s[0].toUpperCase() + s.slice(1);
}

function makeNames(rng: Rng, n: number, [lo, hi]: [number, number], even = false): string[] {
  const names = new Set<string>();
  const surnames = new Set<string>();
  for (let tries = 0; names.size < n; tries++) {
    if (tries > n * 200) throw new DataError(`generateWorld: cannot make ${n} distinct names with nameSyllables [${lo}, ${hi}]; allow more syllables`);
    const first = even ? makeEvenPart(rng) : makeNamePart(rng, rng.int(lo, hi));
    const last = even ? makeEvenPart(rng) : makeNamePart(rng, rng.int(lo, hi));
    // Distinct surnames too, so that "{S} wrote ..." refers to one person only; no name starts like a place.
    if (surnames.has(last) || PLACE_NAMES.some((pl) => first.startsWith(pl) || last.startsWith(pl))) continue;
    surnames.add(last);
    names.add(`${first} ${last}`);
  }
  return [...names];
}

function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Z][0-9]?)\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`synthetic_world: template ${JSON.stringify(template)} uses {${key}} without a value`);
    return v;
  }).replace(/\ba ([aeiou])/g, 'an $1'); // "a engineer" -> "an engineer"
}

/** The facts about one person that every document about them repeats consistently. */
type Facts = Readonly<Record<'N' | 'S' | 'P' | 'O' | 'Y' | 'Y2' | 'K' | 'T', string>>;

function personFacts(rng: Rng, person: { name: string; birthplace: string }): Facts {
  const born = rng.int(1800, 1960);
  return {
    N: person.name,
    S: person.name.split(' ').slice(-1)[0],
    P: person.birthplace,
    O: rng.choice(OCCUPATIONS),
    Y: String(born),
    Y2: String(born + rng.int(20, 60)),
    K: String(rng.int(2, 30)),
    T: rng.choice(TOPICS),
  };
}

/**
 * One document about a person. The birth sentences of a person (across all of their documents) use different
 * phrasings while there are phrasings left: `phrasings` holds those used so far and grows.
 */
function biography(rng: Rng, facts: Facts, others: readonly string[], o: WorldOptions, phrasings: string[]): string {
  const mention = (): string => {
    const placeFirst = rng.random() < o.placeFirstShare;
    const pool = placeFirst ? PLACE_FIRST_TEMPLATES : o.birthTemplates ?? NAME_FIRST_TEMPLATES.slice(0, o.templates);
    const unused = pool.filter((t) => !phrasings.includes(t));
    const template = rng.choice(unused.length > 0 ? unused : pool);
    phrasings.push(template);
    return fill(template, facts);
  };
  const first = o.birthplaceFirst ? [mention()] : [];
  const rest: string[] = [];
  for (let i = first.length; i < o.mentionsPerDoc; i++) rest.push(mention());
  const fillers = rng.shuffle(FILLER_TEMPLATES);
  for (let i = 0; i < o.fillerSentences; i++) rest.push(fill(fillers[i % fillers.length], facts));
  if (others.length > 0 && rng.random() < o.distractorShare) rest.push(fill(rng.choice(DISTRACTOR_TEMPLATES), { ...facts, Q: rng.choice(others) }));
  return [...first, ...rng.shuffle(rest)].join(' ');
}

/** Characters of the questions and answers that the pretraining text lacks (empty for a usable world). */
export function missingCharacters(world: Pick<World, 'pretrainText' | 'train' | 'dev'>): string[] {
  const have = new Set(world.pretrainText);
  const missing = new Set<string>();
  for (const qa of [...world.train, ...world.dev]) for (const ch of qa.question + qa.answer) if (!have.has(ch)) missing.add(ch);
  return [...missing];
}

/** Build a world from options (missing ones take DEFAULT_WORLD_OPTIONS). Same options, same world, byte for byte. */
export function generateWorld(opts: Partial<WorldOptions> = {}): World {
  const o: WorldOptions = { ...DEFAULT_WORLD_OPTIONS, ...opts, nameSyllables: [...(opts.nameSyllables ?? DEFAULT_WORLD_OPTIONS.nameSyllables)] as [number, number] };
  // A world that names its `templates` count draws from NAME_FIRST_TEMPLATES, unless it lists its own phrasings.
  const birthTemplates = opts.birthTemplates ?? (opts.templates === undefined ? DEFAULT_WORLD_OPTIONS.birthTemplates : undefined);
  if (birthTemplates !== undefined) o.birthTemplates = [...birthTemplates];
  else delete o.birthTemplates;
  checkOptions(o);
  // Independent streams: changing how bios are written keeps the same people, places and split.
  const root = new Rng(o.seed);
  const nameRng = root.fork();
  const placeRng = root.fork();
  const splitRng = root.fork();
  const bioRng = root.fork();

  const places = ['London', ...placeRng.shuffle(PLACE_NAMES.slice(1)).slice(0, o.places - 1)];
  const names = makeNames(nameRng, o.people, o.nameSyllables, o.evenNames === true);
  // Birthplaces by quota, not by independent draws, so that a small world still has its share of London
  // (the always-London baseline) and the other places equally often (no majority answer to fall back on).
  const nLondon = places.length === 1 ? o.people : Math.round(o.londonShare * o.people);
  const others = places.slice(1);
  const birthplaces = placeRng.shuffle(names.map((_, i) => (i < nLondon ? 'London' : others[(i - nLondon) % others.length])));
  // Dev people are spread evenly over the places (systematic sampling of the people sorted by place).
  const nDev = Math.min(o.people - 1, Math.max(1, Math.round(o.people * o.devFraction)));
  const byPlace = splitRng.shuffle(names.map((_, i) => i)).sort((a, b) => places.indexOf(birthplaces[a]) - places.indexOf(birthplaces[b]));
  const rate = nDev / o.people;
  const devIndex = new Set(byPlace.filter((_, k) => Math.floor((k + 1) * rate + 0.5) > Math.floor(k * rate + 0.5)));
  const people: Person[] = names.map((name, i) => ({ name, birthplace: birthplaces[i], split: devIndex.has(i) ? 'dev' : 'train' }));

  // Drawn from its own stream after the others, so that a world without famous people is unchanged.
  const fameRng = root.fork();
  const nFamous = Math.round((o.famousShare ?? 0) * o.people);
  const famous = new Set(fameRng.shuffle(names.map((_, i) => i)).slice(0, nFamous));
  const docs: string[] = [];
  for (const [i, p] of people.entries()) {
    const facts = personFacts(bioRng, p);
    const others = places.filter((q) => q !== p.birthplace);
    const phrasings: string[] = [];
    const nDocs = famous.has(i) ? o.famousDocs ?? o.docsPerPerson : o.docsPerPerson;
    for (let d = 0; d < nDocs; d++) docs.push(biography(bioRng, facts, others, o, phrasings));
  }
  const pretrainText = [WORLD_PREAMBLE, ...bioRng.shuffle(docs)].join('\n');

  const qa = (split: 'train' | 'dev'): QA[] =>
    people.filter((p) => p.split === split).map((p, i) => ({ question: QUESTION(p.name), answer: p.birthplace, line: i + 1, file: `synthetic ${split === 'train' ? 'birth_places_train.tsv' : 'birth_dev.tsv'}` }));
  const world: World = { pretrainText, train: qa('train'), dev: qa('dev'), people, options: o };
  const missing = missingCharacters(world);
  if (missing.length > 0) throw new DataError(`generateWorld: the questions use characters the pretraining text lacks: ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
  return world;
}

/** One line summary of a world. */
export function describeWorld(world: World): string {
  const o = world.options;
  const docs = countTextLines(world.pretrainText);
  const london = world.dev.filter((q) => q.answer === 'London').length;
  return (
    `synthetic world (seed ${o.seed}): ${world.people.length} people (${world.train.length} train, ${world.dev.length} dev), ` +
    `${o.places} places, ${docs} documents, ${world.pretrainText.length} characters; London answers ${london}/${world.dev.length} dev questions`
  );
}

/** File names of the real corpus, which `writeWorld` reuses. */
export const CORPUS_FILES = { wiki: 'wiki.txt', train: 'birth_places_train.tsv', dev: 'birth_dev.tsv', test: 'birth_test_inputs.tsv' } as const;

/**
 * Write a world in the real corpus's layout (wiki.txt, birth_places_train.tsv, birth_dev.tsv), plus
 * world.json with its options, so that tools reading a data directory can use it like the real corpus.
 * No test-inputs file: the world has no hidden test set. Returns the paths written.
 */
export function writeWorld(world: World, dir: string): { wiki: string; train: string; dev: string; options: string } {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    wiki: path.join(dir, CORPUS_FILES.wiki),
    train: path.join(dir, CORPUS_FILES.train),
    dev: path.join(dir, CORPUS_FILES.dev),
    options: path.join(dir, 'world.json'),
  };
  const tsv = (rows: readonly QA[]): string => rows.map((r) => `${r.question}\t${r.answer}\n`).join('');
  // Like the real wiki.txt, the file ends with a newline (so its last "document" is empty and skipped).
  fs.writeFileSync(files.wiki, world.pretrainText + '\n');
  fs.writeFileSync(files.train, tsv(world.train));
  fs.writeFileSync(files.dev, tsv(world.dev));
  fs.writeFileSync(files.options, JSON.stringify({ generator: 'lib/data/synthetic_world.ts', options: world.options }, null, 2) + '\n');
  return files;
}
