/** Reading and writing images with imagescript (npm: JS + WebAssembly codecs): PNG, JPEG, TIFF, GIF in; PNG out. */
// The one place the imagescript version is pinned (the package's config is published; examples' deps stay out of it).
// deno-lint-ignore no-import-prefix
import { decode, GIF, Image } from "npm:imagescript@1.3.1";
import { InvalidArgumentError } from "../../mod.ts";

/** An 8-bit RGBA image, row-major, 4 bytes per pixel (imagescript's bitmap layout). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Reads a file, turning "not there" / "not allowed" into an InvalidArgumentError that names the path. */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InvalidArgumentError(`no ${what} at '${path}': the file does not exist`);
    if (e instanceof Deno.errors.IsADirectory) throw new InvalidArgumentError(`the ${what} '${path}' is a directory, not a file`);
    throw new InvalidArgumentError(`cannot read the ${what} '${path}': ${e instanceof Error ? e.message : e}`);
  }
}

/** Decodes PNG, JPEG, TIFF or GIF (first frame) bytes; anything else, or a damaged file, is an InvalidArgumentError. */
export async function decodeImage(bytes: Uint8Array, name = "image"): Promise<Rgba> {
  let decoded: Image | GIF;
  try {
    decoded = await decode(bytes, true); // true: a GIF's first frame only
  } catch (e) {
    throw new InvalidArgumentError(`cannot decode '${name}' as an image (PNG, JPEG, TIFF or GIF): ${e instanceof Error ? e.message : e}`);
  }
  const img: unknown = decoded instanceof GIF ? decoded[0] : decoded;
  if (!(img instanceof Image)) throw new InvalidArgumentError(`cannot decode '${name}' as an image (PNG, JPEG, TIFF or GIF)`);
  if (img.width < 1 || img.height < 1) throw new InvalidArgumentError(`'${name}' is an empty image`);
  return { width: img.width, height: img.height, data: img.bitmap };
}

export async function readImage(path: string): Promise<Rgba> {
  return decodeImage(await readInputFile(path, "image"), path);
}

export function newImage(width: number, height: number): Rgba {
  return { width, height, data: new Uint8ClampedArray(width * height * 4) };
}

export function cloneImage(img: Rgba): Rgba {
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
}

export async function encodePng(img: Rgba): Promise<Uint8Array> {
  const out = new Image(img.width, img.height);
  out.bitmap.set(img.data);
  return await out.encode(1); // fast compression: the picture is for looking at
}

/** Writes a PNG, creating its folder if needed. */
export async function writePng(path: string, img: Rgba): Promise<void> {
  const bytes = await encodePng(img);
  try {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    await Deno.writeFile(path, bytes);
  } catch (e) {
    throw new InvalidArgumentError(`cannot write '${path}': ${e instanceof Error ? e.message : e}`);
  }
}
