/**
 * What a JSR user downloads: the shim's source list (ffi/shim_sources.ts) matches c_shim/, and the published file
 * set (`deno publish --dry-run`) carries every shim source and the build code, but no build outputs, tests,
 * fixtures or benchmarks, and stays small.
 */
import { SHIM_SOURCES } from "../../ffi/shim_sources.ts";
import { assert, assertEquals } from "../_assert.ts";
import { publishedFiles } from "./_package.ts";
import { MANIFEST_PATH, manifestText, repoRoot, shimSourcesInTree } from "./_tree.ts";

/** The package's size limit we hold ourselves to (JSR allows 20 MB; the README reports the real size). */
const MAX_PACKAGE_BYTES = 1.5 * 1024 * 1024;

Deno.test("ffi/shim_sources.ts lists exactly the shim's sources (else: deno run -A tests/jsr/update_manifest.ts)", () => {
  const tree = shimSourcesInTree();
  const listed = [...SHIM_SOURCES].sort();
  const missing = tree.filter((f) => !listed.includes(f));
  const stale = listed.filter((f) => !tree.includes(f));
  assertEquals({ missing, stale }, { missing: [], stale: [] }, "run: deno run -A tests/jsr/update_manifest.ts");
  assertEquals(Deno.readTextFileSync(`${repoRoot()}/${MANIFEST_PATH}`), manifestText(tree), "regenerate the manifest");
  assert(
    tree.some((f) => f.endsWith(".cu")) && tree.includes("c_shim/include/denotrt.h"),
    "the tree walk found sources",
  );
});

Deno.test("the published file set carries the shim's sources and the build, and nothing built or test-only", async () => {
  const files = await publishedFiles();
  const paths = files.map((f) => f.path);
  const absent = SHIM_SOURCES.filter((f) => !paths.includes(f));
  assertEquals(absent, [], "shim sources missing from the package");
  for (const needed of ["mod.ts", "setup.ts", "deno.json", "ffi/load.ts", "ffi/build.ts", "ffi/fetch_sources.ts", "ffi/shim_sources.ts"]) {
    assert(paths.includes(needed), `${needed} is not published`);
  }
  const unwanted = paths.filter((p) =>
    /^(build[^/]*|tests|bench|examples|node_modules|\.tools|\.device|\.tensorrt)\//.test(p) ||
    /\.(o|so|a|onnx|plan|engine|bin|npy|png|jpg)$/.test(p) || /(^|\/)fixtures\//.test(p)
  );
  assertEquals(unwanted, [], "build outputs, tests or data in the package");
  const total = files.reduce((s, f) => s + f.bytes, 0);
  console.log(`published: ${files.length} files, ${(total / 1024).toFixed(0)} KiB`);
  assert(total < MAX_PACKAGE_BYTES, `the package is ${total} bytes (limit ${MAX_PACKAGE_BYTES})`);
});

Deno.test("deno.json exports the setup entry point", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${repoRoot()}/deno.json`));
  assertEquals(config.exports["./setup"], "./setup.ts");
  assertEquals(config.exports["."], "./mod.ts");
});
