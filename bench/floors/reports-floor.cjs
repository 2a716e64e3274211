"use strict";
// Floor of the reports benchmark: read every file of a directory and parse it as XML with the same
// parser `sender-auth reports` uses (saxes), no handlers: no decoding choices, no validation, no
// aggregation, no output. argv: <directory>. Prints the number of documents parsed.
const { readdirSync, readFileSync } = require("node:fs");
const path = require("node:path");
const { SaxesParser } = require("saxes");

const dir = process.argv[2];
let documents = 0;
for (const name of readdirSync(dir).sort()) {
  const parser = new SaxesParser({ xmlns: false });
  parser.write(readFileSync(path.join(dir, name), "utf8"));
  parser.close();
  documents++;
}
process.stdout.write(`${documents}\n`);
