/**
 * trtexec's shape specs: `name:1x3x224x224,other:1x16` (a name may be quoted, `'in:0':1x3`, since it can hold a
 * colon; `name:` or `name:scalar` is a rank-0 shape). Used by --shapes, --minShapes, --optShapes and --maxShapes.
 */
import { InvalidArgumentError } from "../mod.ts";

export type ShapeSpec = Map<string, number[]>;

/** Splits at commas that are not inside single or double quotes. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let quote = "", start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new InvalidArgumentError(`unterminated quote in shape spec "${text}"`);
  parts.push(text.slice(start));
  return parts;
}

function unquote(name: string): string {
  const q = name[0];
  return (q === "'" || q === '"') && name.length >= 2 && name.endsWith(q) ? name.slice(1, -1) : name;
}

/** Parses one flag's value; `flag` names it in errors (e.g. "--shapes"). */
export function parseShapeSpec(text: string, flag = "--shapes"): ShapeSpec {
  const out: ShapeSpec = new Map();
  if (text.trim() === "") throw new InvalidArgumentError(`${flag} is empty; expected name:NxCxHxW[,name:...]`);
  for (const raw of splitTop(text)) {
    const part = raw.trim();
    const colon = part.lastIndexOf(":");
    // The last colon outside quotes separates the name from the dimensions.
    const closing = Math.max(part.lastIndexOf("'"), part.lastIndexOf('"'));
    if (colon < 0 || colon < closing) {
      throw new InvalidArgumentError(`${flag}: "${part}" is not name:dims (e.g. ${flag}=input:1x3x224x224)`);
    }
    const name = unquote(part.slice(0, colon).trim());
    const dimsText = part.slice(colon + 1).trim();
    if (name === "") throw new InvalidArgumentError(`${flag}: "${part}" has no tensor name before the colon`);
    if (out.has(name)) throw new InvalidArgumentError(`${flag}: tensor '${name}' is given twice`);
    const dims: number[] = [];
    if (dimsText !== "" && dimsText !== "scalar") {
      for (const d of dimsText.split("x")) {
        if (!/^\d+$/.test(d) || !Number.isSafeInteger(Number(d))) {
          throw new InvalidArgumentError(`${flag}: dimension "${d}" of '${name}' is not a non-negative integer (in "${part}")`);
        }
        dims.push(Number(d));
      }
    }
    out.set(name, dims);
  }
  return out;
}

export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? "scalar" : shape.join("x");
}
