/**
 * ffi/build.ts when the build itself fails: a package URL that does not serve its sources, and a source that does
 * not compile. Each is one LibraryError naming what failed (the URL; the command and the compiler's output), no
 * library is installed, and no temporary files are left. Needs nvcc (the toolchain is detected first).
 */
import { buildLibrary } from "../../ffi/build.ts";
import { SHIM_SOURCES } from "../../ffi/shim_sources.ts";
import { locateNvcc } from "../../ffi/toolchain.ts";
import { LibraryError } from "../../lib/core/errors.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { repoRoot } from "./_tree.ts";

const skip = "nvcc" in locateNvcc() ? undefined : "no nvcc here";
if (skip) console.log(`[skip] build failure tests skipped: ${skip}`);

function leftovers(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.includes(".tmp-") || e.name.endsWith(".so")) out.push(e.name);
    if (e.isDirectory) out.push(...leftovers(`${dir}/${e.name}`));
  }
  return out;
}

Deno.test({
  name: "sources that cannot be fetched from the package's URL are a LibraryError naming the URL",
  ignore: !!skip,
  async fn() {
    const cache = await Deno.makeTempDir({ prefix: "denotrt-build-err-" });
    const lines: string[] = [];
    try {
      const e = assertThrows(
        () =>
          buildLibrary({
            versionDir: cache,
            packageRoot: new URL("http://127.0.0.1:1/pkg/"),
            log: (l) => lines.push(l),
          }),
        LibraryError,
        /could not fetch the shim's sources from http:\/\/127\.0\.0\.1:1\/pkg\//,
      );
      assert(e.message.includes("http://127.0.0.1:1/pkg/c_shim/"), e.message);
      assertEquals(lines, [], "no build line before the sources are there");
      assertEquals(leftovers(cache), []);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
});

Deno.test({
  name: "a source that does not compile is a LibraryError with the command and the compiler's output",
  ignore: !!skip,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denotrt-build-err-" });
    try {
      for (const f of SHIM_SOURCES) {
        await Deno.mkdir(`${dir}/pkg/${f.slice(0, f.lastIndexOf("/"))}`, { recursive: true });
        await Deno.copyFile(`${repoRoot()}/${f}`, `${dir}/pkg/${f}`);
      }
      // The first file compiled (sources go in the Makefile's order), so the failure comes at once.
      const broken = "c_shim/src/cuda_errors.cu";
      await Deno.writeTextFile(`${dir}/pkg/${broken}`, "this is not C++ at all;\n", { append: true });
      const lines: string[] = [];
      const e = assertThrows(
        () =>
          buildLibrary({
            versionDir: `${dir}/cache`,
            packageRoot: new URL(`file://${dir}/pkg/`),
            log: (l) => lines.push(l),
          }),
        LibraryError,
        /building libdenotrt\.so failed: `\S*nvcc .* -c c_shim\/src\/cuda_errors\.cu -o /,
      );
      assert(/error/i.test(e.message) && e.message.includes("cuda_errors.cu"), e.message);
      assertEquals(lines.length, 1, "the one build line");
      assertEquals(leftovers(`${dir}/cache`), [], "no library and no temporary files");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
