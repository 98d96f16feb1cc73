// Checks Mermaid diagrams with Mermaid's own parser, under node, with no browser: jsdom stands
// in for the window and document that mermaid (through DOMPurify) expects.
//
//   node parse.mjs [FILE...]   (no FILE: standard input)
//
// Prints one JSON line per diagram, {"file": ..., "type": ...} when Mermaid accepts it or
// {"file": ..., "error": ...} with the parser's message when it does not; exits 1 if any
// diagram was refused.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!DOCTYPE html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMParser = window.DOMParser;
globalThis.Element = window.Element;
globalThis.HTMLElement = window.HTMLElement;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

const files = process.argv.length > 2 ? process.argv.slice(2) : [0];
let refused = false;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  try {
    const result = await mermaid.parse(text);
    console.log(JSON.stringify({ file: String(file), type: result.diagramType }));
  } catch (error) {
    refused = true;
    console.log(JSON.stringify({ file: String(file), error: String(error?.message ?? error) }));
  }
}
process.exit(refused ? 1 : 0);
