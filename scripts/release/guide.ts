/**
 * What each released notebook asks of the student, worked out from the solution markers and the notebook's imports:
 * the functions to write (with their files), the derivations graded by hand, and the command that checks the parts.
 *
 * A notebook reaches a part when it imports a function or class that holds one of the part's regions, or imports a
 * function whose body uses one (one step: `trainPreviousToken` builds a `LearnedPositionalEncoding`). The first
 * notebook to reach a part asks for it; later ones say they run it.
 */
import * as path from 'path';
import * as ts from 'typescript';

/** A solution region's place, as the release found it. */
export interface Place {
  /** The file: `lib/...ts`, or a notebook. */
  file: string;
  /** 1-based BEGIN line in the reference (in a notebook: within its cell). */
  line: number;
  part: string;
  cell?: number;
  /** The function or method around it, e.g. `copyingQuery` or `NameDataset.example`. */
  fn?: string;
}

/** A notebook's guide: parts it asks for (with their places), parts it only runs, derivations. */
export interface Guide {
  notebook: string;
  asks: { part: string; places: Place[] }[];
  runs: { part: string; notebook: string }[];
  derivations: string[];
}

type Named = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.ClassDeclaration | ts.VariableDeclaration | ts.GetAccessorDeclaration;

function nameOf(node: ts.Node): string | undefined {
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) return node.name?.text;
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) return node.name.text;
  if ((ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node)) && ts.isIdentifier(node.name)) {
    const cls = node.parent && ts.isClassDeclaration(node.parent) ? node.parent.name?.text : undefined;
    return cls ? `${cls}.${node.name.text}` : node.name.text;
  }
  if (ts.isConstructorDeclaration(node)) {
    const cls = ts.isClassDeclaration(node.parent) ? node.parent.name?.text : undefined;
    return cls ? `new ${cls}` : 'constructor';
  }
  return undefined;
}

/**
 * The innermost function, method or constructor around each line of a TypeScript source (1-based lines), for the
 * stubs' messages and the notebooks' guides.
 */
export function functionsAround(source: string, fileName = 'x.ts'): (line: number) => string | undefined {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const spans: { from: number; to: number; name: string; depth: number }[] = [];
  const visit = (node: ts.Node, depth: number): void => {
    const name = ts.isClassDeclaration(node) ? undefined : nameOf(node);
    if (name) {
      const from = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const to = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      spans.push({ from, to, name, depth });
    }
    ts.forEachChild(node, (child) => visit(child, depth + 1));
  };
  visit(sf, 0);
  return (line) => spans.filter((s) => s.from <= line && line <= s.to).sort((a, b) => b.depth - a.depth)[0]?.name;
}

/** The import statements of a notebook's code (tslab cells import the lib as `./lib/...`). */
export function notebookImports(code: string): string {
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*import\s+(?:type\s+)?\{[^}]*\}\s*from\s*'(\.\/lib\/[^']+)';?/gm)) out.push(m[0].trim());
  return out.join('\n');
}

interface Decl {
  node: Named;
  file: string;
}

function containing(decl: Decl, place: Place, sfOf: (f: string) => ts.SourceFile | undefined): boolean {
  if (decl.file !== place.file) return false;
  const sf = sfOf(decl.file);
  if (!sf) return false;
  const from = sf.getLineAndCharacterOfPosition(decl.node.getStart(sf)).line + 1;
  const to = sf.getLineAndCharacterOfPosition(decl.node.getEnd()).line + 1;
  return from <= place.line && place.line <= to;
}

/**
 * The guide of every notebook, in the order given.
 * @param root the workbook (its `lib/` is read through the TypeScript compiler)
 * @param notebooks each notebook's path (relative), its code cells joined, and the derivations its cells hold
 * @param places the solution regions in `lib/` (notebook code-cell regions are listed by the notebook itself)
 */
export function notebookGuides(root: string, notebooks: { file: string; code: string; derivations: string[]; own: Place[] }[], places: Place[]): Guide[] {
  const virtual = new Map(notebooks.map((nb, i) => [path.join(root, `__notebook_${i}__.ts`), notebookImports(nb.code)]));
  const options: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2020, noEmit: true, skipLibCheck: true, types: [], esModuleInterop: true, resolveJsonModule: true };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, create) => {
    const text = virtual.get(path.resolve(fileName));
    return text !== undefined ? ts.createSourceFile(fileName, text, languageVersion, true) : getSourceFile(fileName, languageVersion, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => virtual.has(path.resolve(f)) || fileExists(f);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const checker = program.getTypeChecker();
  const rel = (f: string): string => path.relative(root, f).split(path.sep).join('/');
  const sfOf = (f: string): ts.SourceFile | undefined => program.getSourceFile(path.join(root, f));

  const declsOf = (symbol: ts.Symbol | undefined): Decl[] => {
    if (!symbol) return [];
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return (target.declarations ?? [])
      .filter((d): d is Named => ts.isFunctionDeclaration(d) || ts.isClassDeclaration(d) || ts.isVariableDeclaration(d) || ts.isMethodDeclaration(d))
      .map((node) => ({ node, file: rel(node.getSourceFile().fileName) }));
  };

  /** Parts whose places a declaration holds; for a function, also those of what its body refers to. */
  const reached = (decl: Decl, deep: boolean): Set<string> => {
    const parts = new Set(places.filter((p) => containing(decl, p, sfOf)).map((p) => p.part));
    const body = ts.isFunctionDeclaration(decl.node) ? decl.node.body : ts.isVariableDeclaration(decl.node) ? decl.node.initializer : undefined;
    if (deep && body) {
      const walk = (node: ts.Node): void => {
        if (ts.isIdentifier(node)) for (const d of declsOf(checker.getSymbolAtLocation(node))) for (const part of reached(d, false)) parts.add(part);
        ts.forEachChild(node, walk);
      };
      walk(body);
    }
    return parts;
  };

  // Which parts each notebook reaches directly (imports what holds them) and only through a function it imports.
  const reach = notebooks.map((nb, i) => {
    const sf = program.getSourceFile([...virtual.keys()][i]);
    const direct = new Set<string>(nb.own.map((p) => p.part));
    const indirect = new Set<string>();
    sf?.forEachChild((stmt) => {
      if (!ts.isImportDeclaration(stmt) || !stmt.importClause?.namedBindings || !ts.isNamedImports(stmt.importClause.namedBindings)) return;
      for (const spec of stmt.importClause.namedBindings.elements) {
        for (const d of declsOf(checker.getSymbolAtLocation(spec.name))) {
          for (const part of reached(d, false)) direct.add(part);
          for (const part of reached(d, true)) indirect.add(part);
        }
      }
    });
    return { direct, indirect };
  });
  // A part is asked for by the first notebook that reaches it directly, else by the first that reaches it at all. A
  // later notebook that reaches it says it runs it; an earlier one reaching it only indirectly (a branch it may
  // not take, like varianceExperiment's two heads in notebook 1) says nothing.
  const asker = new Map<string, number>();
  reach.forEach(({ direct }, i) => direct.forEach((p) => asker.has(p) || asker.set(p, i)));
  reach.forEach(({ indirect }, i) => indirect.forEach((p) => asker.has(p) || asker.set(p, i)));
  const order = [...new Set([...places, ...notebooks.flatMap((nb) => nb.own)].map((p) => p.part))];
  return notebooks.map((nb, i) => {
    const guide: Guide = { notebook: nb.file, asks: [], runs: [], derivations: nb.derivations };
    for (const part of order) {
      const at = asker.get(part);
      if (at === i) guide.asks.push({ part, places: [...places, ...nb.own].filter((p) => p.part === part) });
      else if (at !== undefined && at < i && (reach[i].direct.has(part) || reach[i].indirect.has(part))) guide.runs.push({ part, notebook: notebooks[at].file });
    }
    return guide;
  });
}

const code = (s: string): string => `\`${s}\``;

/** The guide as the markdown that opens a released notebook. */
export function guideMarkdown(guide: Guide): string {
  const number = (file: string): string => path.basename(file).slice(0, 2);
  const runs = guide.runs.map((r) => `*${r.part}* (notebook ${number(r.notebook)})`).join(', ');
  if (!guide.asks.length && !guide.derivations.length) {
    return `> **Student edition.** Nothing to write in this notebook${runs ? `; it runs your earlier parts: ${runs}` : ''}.`;
  }
  const lines = ['> **Student edition: what this notebook asks of you**', '>'];
  for (const { part, places } of guide.asks) {
    const byFile = new Map<string, string[]>();
    for (const p of places) {
      const where = p.cell !== undefined ? `cell ${p.cell} of this notebook` : code(p.file);
      const fns = byFile.get(where) ?? [];
      if (p.fn && !fns.includes(code(p.fn))) fns.push(code(p.fn));
      byFile.set(where, fns);
    }
    const where = [...byFile].map(([file, fns]) => (fns.length ? `${fns.join(', ')} in ${file}` : file)).join('; ');
    lines.push(`> - part *${part}*: ${where}`);
  }
  if (guide.derivations.length) lines.push(`> - derivations graded by hand: ${guide.derivations.map((d) => `*${d}*`).join(', ')}, below where it says "Your derivation"`);
  if (guide.asks.length) {
    lines.push('>', '> Each of these throws `not implemented: <part>` until you write it. Check your code with');
    lines.push(`> \`npm run grade -- --part "${guide.asks.map((a) => a.part).join(',')}"\`; after editing a file in \`lib/\`, restart the kernel and run the cells again.`);
  }
  if (runs) lines.push('>', `> This notebook also runs your earlier parts: ${runs}.`);
  return lines.join('\n');
}
